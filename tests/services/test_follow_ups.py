"""Follow-ups in process: captured, changed by whom may, held to their due dates by the durable
timers (reminder, overdue, escalation, once), and kept in step with a tracker that can fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.tables import TimerRow
from bot.core.deadline_kinds import DeadlineKind
from bot.core.follow_ups import Destination, FollowUp, FollowUpState, TrackerLink
from bot.core.model import EventKind
from bot.playbooks.loader import Playbooks
from bot.playbooks.schema import ServiceFollowUps
from bot.services.access import Access, NotPermitted
from bot.services.follow_ups import (
    TRACKER_KEY,
    DueInThePast,
    FollowUpClosed,
    FollowUps,
    NoSuchFollowUp,
)
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.timers import TimerRunner
from bot.services.trackers import Issue, NewIssue, TrackerUnavailable
from tests.core.timelines import T0
from tests.services.conftest import FixedClock, declare, with_service
from tests.services.fakes import FakeChat
from tests.services.timer_support import Recorder

DAY = timedelta(days=1)


@dataclass
class FakeTracker:
    """A tracker in memory that can be down, refuse for good, and counts what it was asked."""

    name: str = "github"
    issues: dict[str, tuple[NewIssue, FollowUpState]] = field(default_factory=dict)
    down: int = 0
    gone: set[str] = field(default_factory=set)
    """Keys of issues deleted there: asking about them is a lasting refusal (404)."""
    calls: list[str] = field(default_factory=list)
    while_finding: list[Callable[[], object]] = field(default_factory=list)
    """Run once each inside ``find``: another request syncing at the same moment."""

    def _ask(self, what: str, key: str = "") -> None:
        self.calls.append(f"{what} {key}".strip())
        if self.down:
            self.down -= 1
            raise TrackerUnavailable("GitHub answered 503")
        if key in self.gone:
            raise TrackerUnavailable("GitHub answered 404: Not Found", lasting=True, status=404)

    search_lag = timedelta(0)

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        self._ask("find")
        while self.while_finding:
            self.while_finding.pop()()
        for key, (issue, state) in self.issues.items():
            if issue.marker == marker and key not in self.gone:
                return Issue(key, f"https://t/{key}", state)
        return None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        self._ask("open")
        key = f"{where.place}#{len(self.issues) + 1}"
        self.issues[key] = (issue, FollowUpState.OPEN)
        return Issue(key, f"https://t/{key}")

    def update(self, key: str, issue: NewIssue) -> None:
        self._ask("update", key)
        self.issues[key] = (issue, self.issues[key][1])

    def get(self, key: str) -> Issue:
        self._ask("get", key)
        return Issue(key, f"https://t/{key}", self.issues[key][1])

    def close(self, key: str, state: FollowUpState) -> None:
        self._ask("close", key)
        self.issues[key] = (self.issues[key][0], state)


Sessions = sessionmaker[Session]


def tracker_timers(sessions: Sessions) -> list[TimerRow]:
    with sessions() as session:
        return list(session.scalars(select(TimerRow).where(TimerRow.key == TRACKER_KEY)))


@pytest.fixture
def tracker() -> FakeTracker:
    return FakeTracker()


@pytest.fixture
def filing(playbooks: Playbooks) -> Playbooks:
    """The catalog files checkout's follow-ups in GitHub's acme/checkout."""
    return with_service(playbooks, "checkout", follow_ups=ServiceFollowUps(github="acme/checkout"))


@pytest.fixture
def follow_ups(incidents: IncidentService, filing: Playbooks, tracker: FakeTracker) -> FollowUps:
    return FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})


def test_a_follow_up_gets_the_commander_and_the_severitys_due_date_unless_given(
    follow_ups: FollowUps, incidents: IncidentService, now: FixedClock
) -> None:
    incident = declare(incidents)
    incidents.record(incident, EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB")

    first = follow_ups.add("U0CAROL", incident, "add retries")
    second = follow_ups.add("U0CAROL", incident, "alert on budget", "U0DAN", T0 + 3 * DAY)

    assert first == FollowUp(1, "add retries", "U0BOB", T0 + 14 * DAY, T0, "U0CAROL")
    assert (second.number, second.owner, second.due_at) == (2, "U0DAN", T0 + 3 * DAY)
    assert follow_ups.add("U0CAROL", incident, "x", due=T0) == DueInThePast(T0)
    kinds = [d.kind for d in incidents.get(incident).deadlines]
    assert kinds.count(DeadlineKind.FOLLOW_UP) == 2


def test_its_owner_or_the_people_on_the_incident_change_it_nobody_else(
    follow_ups: FollowUps, incidents: IncidentService
) -> None:
    incident = declare(incidents)  # declared by U0ALICE
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")

    assert isinstance(follow_ups.done("U0MALLORY", incident, 1), NotPermitted)
    moved = follow_ups.change("U0BOB", incident, 1, due=T0 + 2 * DAY, what="retry twice")
    assert isinstance(moved, FollowUp)
    assert (moved.what, moved.due_at) == ("retry twice", T0 + 2 * DAY)
    handed = follow_ups.change("U0ALICE", incident, 1, owner="U0CAROL")
    assert isinstance(handed, FollowUp) and handed.owner == "U0CAROL"
    done = follow_ups.done("U0CAROL", incident, 1)
    assert isinstance(done, FollowUp) and done.state is FollowUpState.DONE
    assert isinstance(follow_ups.drop("U0ALICE", incident, 1, "x"), FollowUpClosed)
    assert follow_ups.done("U0ALICE", incident, 2) == NoSuchFollowUp(2, 1)


def test_filing_is_owed_with_the_entry_and_done_once_the_tracker_is_back(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker, sessions: Sessions
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    [owed] = tracker_timers(sessions)
    assert owed.fire_at.replace(tzinfo=UTC) > T0  # the request that added it may file it itself

    tracker.down = 1
    assert follow_ups.sync(incident) is False  # down: still owed, nothing recorded
    assert incidents.get(incident).follow_ups[0].link is None
    assert follow_ups.sync(incident) is True
    assert follow_ups.sync(incident) is True  # filed: not filed twice
    link = incidents.get(incident).follow_ups[0].link
    assert link == TrackerLink("github", "acme/checkout#1", "https://t/acme/checkout#1")
    assert list(tracker.issues) == ["acme/checkout#1"]
    [(issue, _)] = tracker.issues.values()
    assert "Follow-up 1 of Sev1 incident" in issue.body and issue.title == "add retries"


def test_an_issue_filed_before_it_could_be_noted_is_found_not_filed_again(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    marker = f"incident-bot:{incident}:1"
    tracker.issues["acme/checkout#7"] = (
        NewIssue("add retries", "", marker, ""),
        FollowUpState.OPEN,
    )

    assert follow_ups.sync(incident) is True
    assert incidents.get(incident).follow_ups[0].link is not None
    assert incidents.get(incident).follow_ups[0].link.key == "acme/checkout#7"  # type: ignore[union-attr]
    assert tracker.calls.count("open") == 0


def test_done_here_closes_the_issue_and_closed_there_is_done_here(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")
    follow_ups.sync(incident)
    assert follow_ups.still_to_poll(incident)

    follow_ups.done("U0BOB", incident, 1)
    tracker.close("acme/checkout#2", FollowUpState.DONE)  # closed there
    assert follow_ups.sync(incident) is True

    assert tracker.issues["acme/checkout#1"][1] is FollowUpState.DONE
    first, second = incidents.get(incident).follow_ups
    assert (first.state, second.state) == (FollowUpState.DONE, FollowUpState.DONE)
    assert incidents.get(incident).events[-1].actor == "incident-bot"
    assert not follow_ups.still_to_poll(incident)


def test_without_a_destination_nothing_is_owed(
    incidents: IncidentService, playbooks: Playbooks, tracker: FakeTracker, sessions: Sessions
) -> None:
    follow_ups = FollowUps(
        incidents, Access(FakeChat(), None, None), playbooks, {"github": tracker}
    )
    incident = declare(incidents, services=("search",))  # the catalog files search's nowhere
    follow_ups.add("U0ALICE", incident, "add retries")
    assert tracker_timers(sessions) == []
    assert follow_ups.sync(incident) is True and tracker.calls == []


def test_the_due_date_is_reminded_announced_overdue_and_escalated_once_by_the_timers(
    follow_ups: FollowUps, incidents: IncidentService, units: UnitsOfWork, now: FixedClock
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + 7 * DAY)
    incidents.record(incident, EventKind.RESOLVED, "U0ALICE")
    incidents.record(incident, EventKind.CLOSED, "U0ALICE")
    said = Recorder()
    runner = TimerRunner(units, incidents, said, tracker=follow_ups)

    def tick(at: timedelta) -> list[str]:
        now.now = T0 + at
        runner.tick(now.now)
        runner.tick(now.now)  # a second tick (another replica) says nothing again
        key = incidents.get(incident).deadlines
        keys = {d.key for d in key if d.kind is DeadlineKind.FOLLOW_UP}
        return [what for what, _, deadline, _ in said.said if deadline in keys]

    assert tick(5 * DAY) == ["remind"]
    assert tick(7 * DAY + timedelta(minutes=1)) == ["remind", "overdue"]
    assert tick(8 * DAY + timedelta(minutes=1)) == ["remind", "overdue", "escalate 1 owner"]
    follow_ups.done("U0BOB", incident, 1)
    assert tick(10 * DAY) == ["remind", "overdue", "escalate 1 owner"]  # done: chased no more
    deadline = next(
        d for d in incidents.get(incident).deadlines if d.kind is DeadlineKind.FOLLOW_UP
    )
    assert deadline.late_by == DAY + timedelta(minutes=1)


def test_a_filed_issue_is_closed_where_it_was_filed_whatever_the_services_become(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)  # checkout: files in acme/checkout
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.sync(incident)
    incidents.record(
        incident, EventKind.SERVICES_CHANGED, "U0ALICE", extra={"services": "search"}
    )  # search files nowhere

    follow_ups.drop("U0BOB", incident, 1, "covered by the new alert")
    assert follow_ups.sync(incident) is True

    assert tracker.calls[-2:] == ["get acme/checkout#1", "close acme/checkout#1"]
    assert tracker.issues["acme/checkout#1"][1] is FollowUpState.WONT_DO


def test_two_syncs_at_once_file_each_follow_up_once(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    beside: list[bool] = []
    tracker.while_finding.append(lambda: beside.append(follow_ups.sync(incident)))

    assert follow_ups.sync(incident) is True
    assert beside == [False]  # the other found it being synced, and left it to the timer
    assert tracker.calls.count("open") == 1
    assert follow_ups.sync(incident) is True  # the hold was let go
    assert tracker.calls.count("open") == 1


def test_a_follow_up_refused_for_good_is_recorded_and_does_not_hold_up_the_others(
    incidents: IncidentService, filing: Playbooks, tracker: FakeTracker
) -> None:
    told: list[tuple[int, str]] = []

    class News:
        def closed_there(self, view: object, follow_up: FollowUp) -> None:
            told.append((follow_up.number, "closed"))

        def refused(self, view: object, follow_up: FollowUp) -> None:
            told.append((follow_up.number, follow_up.refused))

    follow_ups = FollowUps(
        incidents, Access(FakeChat(), None, None), filing, {"github": tracker}, news=News()
    )
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.sync(incident)
    tracker.gone.add("acme/checkout#1")  # someone deleted the issue
    follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")

    assert follow_ups.sync(incident) is True
    first, second = incidents.get(incident).follow_ups
    assert first.refused == "GitHub answered 404: Not Found" and first.is_open
    assert second.link is not None and second.link.key == "acme/checkout#2"
    assert told == [(1, "GitHub answered 404: Not Found")]
    assert incidents.get(incident).events[-1].kind is EventKind.FOLLOW_UP_LINKED

    asked = len(tracker.calls)
    assert follow_ups.sync(incident) is True
    assert "get acme/checkout#1" not in tracker.calls[asked:]  # not asked again ...
    assert follow_ups.still_to_poll(incident)  # (the second is)
    follow_ups.change("U0BOB", incident, 1, what="add retries, twice")
    follow_ups.sync(incident)
    [first, _] = incidents.get(incident).follow_ups  # ... until it changes: filed anew
    assert first.link is not None and first.link.key == "acme/checkout#3"
    assert len(told) == 1


def test_a_tracker_that_is_down_stops_the_sync_and_it_is_tried_again(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")
    tracker.down = 1

    assert follow_ups.sync(incident) is False
    assert tracker.calls == ["find"]  # the second was not made to wait on it too
    assert all(not f.refused for f in incidents.get(incident).follow_ups)
    assert follow_ups.sync(incident) is True
    assert [f.link is not None for f in incidents.get(incident).follow_ups] == [True, True]


def test_an_issue_closed_as_not_planned_drops_the_follow_up(
    follow_ups: FollowUps, incidents: IncidentService, tracker: FakeTracker
) -> None:
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.sync(incident)
    tracker.close("acme/checkout#1", FollowUpState.WONT_DO)

    follow_ups.sync(incident)

    [dropped] = incidents.get(incident).follow_ups
    assert dropped.state is FollowUpState.WONT_DO and not dropped.done_on_time
    assert dropped.why_not == "closed as not planned in acme/checkout#1"
    deadline = next(
        d for d in incidents.get(incident).deadlines if d.kind is DeadlineKind.FOLLOW_UP
    )
    assert deadline.met_at is None


def test_the_issue_is_in_plain_words_and_mentions_no_one(
    incidents: IncidentService, filing: Playbooks, tracker: FakeTracker
) -> None:
    follow_ups = FollowUps(
        incidents,
        Access(FakeChat(), None, None),
        filing,
        {"github": tracker},
        person=lambda user: {"U0BOB": "@bob"}.get(user, user),
        words=lambda typed: typed.replace("<@U0CAROL>", "@carol"),
    )
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "ask <@U0CAROL> to rotate the keys " + "x" * 300, "U0BOB")
    follow_ups.sync(incident)

    [(issue, _)] = tracker.issues.values()
    assert issue.title.startswith("ask @carol to rotate") and issue.title.endswith("…")
    assert len(issue.title) == 240
    assert "<@" not in issue.body and "Owner in Slack: bob." in issue.body
