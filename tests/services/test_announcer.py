"""The timers' announcer in process: overdue notices escalate and page, reminders, tags."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.deadlines import Deadline
from bot.core.model import EventKind, Severity
from bot.playbooks.loader import Playbooks
from bot.services.announcer import (
    TIMER_TAG,
    DeadlineAnnouncer,
    Overdue,
    Owners,
    Reminder,
)
from bot.services.chat import Tag
from bot.services.delivery import Delivery, Reach
from bot.services.incidents import IncidentService
from bot.services.pager import Page
from bot.services.ports import UnitsOfWork
from bot.services.read_model import IncidentView
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import FixedClock, declare, with_service
from tests.services.fakes import FakeChat
from tests.services.signal_fakes import FakeDeadlineWording, FakePager

ANNOUNCE = "CANNOUNCE"
ROUTING_KEY = "R0UTINGKEY0000"
ASSEMBLE_DUE = T0 + timedelta(minutes=5)  # sev1: the team is assembled within 5 minutes


@pytest.fixture
def paged_playbooks(playbooks: Playbooks) -> Playbooks:
    return with_service(playbooks, "checkout", pagerduty_routing_key=ROUTING_KEY)


@pytest.fixture
def wording() -> FakeDeadlineWording:
    return FakeDeadlineWording()


@pytest.fixture
def pager() -> FakePager:
    return FakePager()


@pytest.fixture
def announcer(
    chat: FakeChat, wording: FakeDeadlineWording, paged_playbooks: Playbooks, pager: FakePager
) -> DeadlineAnnouncer:
    return DeadlineAnnouncer(chat, wording, paged_playbooks, pager, ANNOUNCE)


def deadline_of(view: IncidentView, key: str) -> Deadline:
    return next(d for d in view.deadlines if d.key == key)


def overdue_at(
    incidents: IncidentService, announcer: DeadlineAnnouncer, incident: int, now: datetime
) -> Delivery:
    view = incidents.get(incident, now)
    return announcer.overdue(view, deadline_of(view, "assemble@1"), now, f"{incident}:due")


def test_an_overdue_sev1_deadline_escalates_pages_and_is_tagged(
    incidents: IncidentService,
    announcer: DeadlineAnnouncer,
    chat: FakeChat,
    wording: FakeDeadlineWording,
    pager: FakePager,
) -> None:
    incident = declare(incidents)
    said = overdue_at(incidents, announcer, incident, ASSEMBLE_DUE + timedelta(seconds=3))
    assert pager.pages == [
        Page(
            ROUTING_KEY,
            "incident-1-assemble@1",
            "Sev1 incident 1 (checkout 500s): incident team assembled overdue",
            "critical",
        )
    ]
    [notice] = wording.notices
    assert isinstance(notice, Overdue)
    assert (notice.escalate_to, notice.paged, notice.late, notice.fired_late) == (
        "S0SRELEADS",
        True,
        timedelta(seconds=3),
        None,
    )
    assert notice.owners == Owners(None, "S0PAYMENTS")  # no commander yet: the owning team
    [posted] = chat.posted
    assert (posted.channel, posted.text) == ("CINC1", "overdue: assemble@1")
    assert posted.tag == Tag(TIMER_TAG, {"timer": "1:due"})
    assert said == Delivery(Reach.INCIDENT_CHANNEL, f"CINC1/{posted.ts}")


def test_an_overdue_notice_says_so_when_it_comes_late(
    incidents: IncidentService, announcer: DeadlineAnnouncer, wording: FakeDeadlineWording
) -> None:
    incident = declare(incidents)
    overdue_at(incidents, announcer, incident, ASSEMBLE_DUE + timedelta(minutes=7))
    [notice] = wording.notices
    assert isinstance(notice, Overdue)
    assert notice.fired_late == timedelta(minutes=7)


@pytest.mark.parametrize(
    ("late_notice", "late", "said_late"),
    [
        (timedelta(seconds=5), timedelta(seconds=4), False),
        (timedelta(seconds=5), timedelta(seconds=6), True),
        (timedelta(seconds=1), timedelta(seconds=2), True),
    ],
)
def test_how_late_a_notice_must_be_to_say_so_is_the_operators(
    incidents: IncidentService,
    chat: FakeChat,
    wording: FakeDeadlineWording,
    paged_playbooks: Playbooks,
    pager: FakePager,
    late_notice: timedelta,
    late: timedelta,
    said_late: bool,
) -> None:
    announcer = DeadlineAnnouncer(
        chat, wording, paged_playbooks, pager, ANNOUNCE, late_notice=late_notice
    )
    overdue_at(incidents, announcer, declare(incidents), ASSEMBLE_DUE + late)
    [notice] = wording.notices
    assert isinstance(notice, Overdue)
    assert notice.fired_late == (late if said_late else None)


def test_a_page_the_pager_refuses_is_not_claimed(
    incidents: IncidentService,
    announcer: DeadlineAnnouncer,
    wording: FakeDeadlineWording,
    pager: FakePager,
) -> None:
    pager.accepting = False
    overdue_at(incidents, announcer, declare(incidents), ASSEMBLE_DUE)
    [notice] = wording.notices
    assert isinstance(notice, Overdue)
    assert len(pager.pages) == 1
    assert notice.paged is False


def test_no_page_without_a_routing_key_or_when_the_playbook_says_not_to(
    incidents: IncidentService,
    announcer: DeadlineAnnouncer,
    wording: FakeDeadlineWording,
    pager: FakePager,
) -> None:
    overdue_at(incidents, announcer, declare(incidents, services=("search",)), ASSEMBLE_DUE)
    sev2 = declare(incidents, Severity.SEV2)  # sev2's playbook: page: false
    view = incidents.get(sev2, T0 + timedelta(minutes=20))
    announcer.overdue(view, view.deadlines[0], view.now, "2:due")
    assert pager.pages == []
    notices = [n for n in wording.notices if isinstance(n, Overdue)]
    assert [(n.paged, n.escalate_to) for n in notices] == [
        (False, "S0SRELEADS"),
        (False, "S0ONCALL"),
    ]


def test_the_commander_owns_the_deadline_once_there_is_one(
    incidents: IncidentService, announcer: DeadlineAnnouncer, wording: FakeDeadlineWording
) -> None:
    incident = declare(incidents)
    incidents.record(incident, EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB")
    unowned = declare(incidents, services=())  # no service: the escalation group owns it
    for which in (incident, unowned):
        view = incidents.get(which)
        announcer.remind(view, deadline_of(view, "status_update@1"), T0, f"{which}:remind")
    assert [n.owners for n in wording.notices] == [
        Owners("U0BOB", "S0PAYMENTS"),
        Owners(None, "S0SRELEADS"),
    ]


def test_a_reminder_says_how_long_is_left_and_is_tagged(
    incidents: IncidentService,
    announcer: DeadlineAnnouncer,
    chat: FakeChat,
    wording: FakeDeadlineWording,
) -> None:
    incident = declare(incidents)
    view = incidents.get(incident)
    deadline = deadline_of(view, "assemble@1")
    said = announcer.remind(view, deadline, T0 + timedelta(minutes=3), "1:remind")
    announcer.remind(view, deadline, ASSEMBLE_DUE + timedelta(seconds=1), "1:late")
    assert [n.remaining for n in wording.notices if isinstance(n, Reminder)] == [
        timedelta(minutes=2),
        timedelta(0),  # never negative
    ]
    assert chat.texts() == ["reminder: assemble@1", "reminder: assemble@1"]
    assert said.reference == f"CINC1/{chat.posted[0].ts}"


def test_before_there_is_a_channel_notices_go_to_the_announcement_channel(
    incidents: IncidentService,
    paged_playbooks: Playbooks,
    chat: FakeChat,
    wording: FakeDeadlineWording,
    pager: FakePager,
) -> None:
    incident = declare(incidents, in_channel=False)
    view = incidents.get(incident)
    deadline = deadline_of(view, "assemble@1")
    said = DeadlineAnnouncer(chat, wording, paged_playbooks, pager, ANNOUNCE).remind(
        view, deadline, T0, "1:remind"
    )
    assert said == Delivery(Reach.ANNOUNCEMENT_CHANNEL, f"{ANNOUNCE}/{chat.posted[0].ts}")
    assert len(chat.posted) == 1


def test_already_said_finds_a_firing_by_its_tag(
    incidents: IncidentService, announcer: DeadlineAnnouncer, chat: FakeChat
) -> None:
    incident = declare(incidents)
    view = incidents.get(incident)
    said = announcer.remind(view, deadline_of(view, "assemble@1"), T0, "1:assemble@1:remind")
    assert announcer.already_said(view, "1:assemble@1:remind") == said.reference
    assert announcer.already_said(view, "1:assemble@1:due") is None
    # Found in the incident channel; not found there, then not in the announcement channel.
    assert chat.methods == ["post", "find_tagged", "find_tagged", "find_tagged"]


def test_the_timer_runner_fires_through_the_announcer(
    units: UnitsOfWork,
    incidents: IncidentService,
    announcer: DeadlineAnnouncer,
    chat: FakeChat,
    pager: FakePager,
    now: FixedClock,
) -> None:
    incident = declare(incidents)
    runner = TimerRunner(units, incidents, announcer, owner="replica-a")
    runner.tick(T0 + timedelta(minutes=3))
    now.now = T0 + timedelta(minutes=6)
    runner.tick(now.now)
    assert chat.texts("CINC1") == ["reminder: assemble@1", "overdue: assemble@1"]
    assert [p.dedup_key for p in pager.pages] == ["incident-1-assemble@1"]
    kinds = [e.kind for e in incidents.get(incident).events]
    assert kinds.count(EventKind.DEADLINE_MISSED) == 1
