"""A sync that files many follow-ups on a slow tracker outlives one lease (SYNC_LEASE): it
renews it before each follow-up, so another replica cannot take the incident over mid-way and
file the same follow-up again. Virtual clock: each tracker call takes 40 s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.follow_ups import Destination, FollowUpState
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.trackers import Issue, NewIssue
from tests.core.timelines import T0
from tests.services.conftest import FixedClock, declare
from tests.services.fakes import FakeChat


class SlowTracker:
    name = "github"
    search_lag = timedelta(0)

    def __init__(self, now: FixedClock) -> None:
        self.now = now
        self.issues: dict[str, tuple[NewIssue, FollowUpState]] = {}
        self.opened: list[str] = []
        self.on_open: dict[str, Callable[[], object]] = {}

    def _slow(self) -> None:
        self.now.now += timedelta(seconds=40)

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        self._slow()
        for key, (issue, state) in self.issues.items():
            if issue.marker == marker:
                return Issue(key, "u", state)
        return None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        self._slow()
        if (other := self.on_open.pop(issue.marker, None)) is not None:
            other()  # meanwhile, another replica's timer syncs the incident
        key = f"{where.place}#{len(self.issues) + 1}"
        self.issues[key] = (issue, FollowUpState.OPEN)
        self.opened.append(issue.marker)
        return Issue(key, "u")

    def update(self, key: str, issue: NewIssue) -> None: ...

    def get(self, key: str) -> Issue:
        return Issue(key, "u", self.issues[key][1])

    def close(self, key: str, state: FollowUpState) -> None: ...


def test_a_long_sync_is_not_overtaken(units, filing, now) -> None:  # type: ignore[no-untyped-def]
    tracker = SlowTracker(now)
    a_service = IncidentService(units, filing.policies, now)
    b_service = IncidentService(units, filing.policies, now)
    a = FollowUps(a_service, Access(FakeChat(), None, None), filing, {"github": tracker})
    b = FollowUps(b_service, Access(FakeChat(), None, None), filing, {"github": tracker})
    incident = declare(a_service)
    idle = FollowUps(a_service, Access(FakeChat(), None, None), filing, {})
    for n in range(6):  # added while GitHub was unreachable: nothing filed yet
        idle.add("U0ALICE", incident, f"task {n + 1}", "U0BOB", T0 + timedelta(days=3))
    taken_over: list[bool] = []
    tracker.on_open[f"incident-bot:{incident}:5"] = lambda: taken_over.append(b.sync(incident))
    assert a.sync(incident) is True  # 80 s per follow-up: the 5th is reached 5m20s in
    assert taken_over == [False]
    assert sorted(tracker.opened) == sorted(set(tracker.opened)) and len(tracker.opened) == 6
    assert all(f.link is not None for f in a_service.get(incident).follow_ups)
