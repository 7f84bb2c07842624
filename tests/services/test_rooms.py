"""Incident rooms in process: the rooms service against a recording chat and real storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Severity
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.playbooks.schema import Stakeholders
from bot.services.incidents import IncidentService
from bot.services.ports import COMMITS
from bot.services.read_model import IncidentView
from bot.services.rooms import Rooms, Step
from tests.core.timelines import T0
from tests.services.fakes import FakeChat, FakeRoomWording, FakeTickets

ANNOUNCE = "C0ANNOUNCE"
GROUPS = {"S0PAYMENTS": ["U0PAY1", "U0PAY2"], "S0DISCOVERY": ["U0DISC"]}


@pytest.fixture
def playbooks(repo_root: Path) -> Playbooks:
    return loader.load(repo_root / "playbooks")


@pytest.fixture
def incidents(sessions: sessionmaker[Session], playbooks: Playbooks) -> IncidentService:
    return IncidentService(units_of_work(sessions), playbooks.policies, lambda: T0)


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat(groups=GROUPS)


@pytest.fixture
def tickets() -> FakeTickets:
    return FakeTickets()


@pytest.fixture
def rooms(
    chat: FakeChat, incidents: IncidentService, playbooks: Playbooks, tickets: FakeTickets
) -> Rooms:
    return Rooms(chat, incidents, playbooks, tickets, FakeRoomWording(), ANNOUNCE)


def with_stakeholders(playbooks: Playbooks, severity: Severity, channels: list[str]) -> Playbooks:
    """``playbooks`` whose ``severity`` also tells ``channels``."""
    book = playbooks[severity]
    told = book.model_copy(update={"stakeholders": Stakeholders(channels=channels)})
    return replace(playbooks, by_severity={**playbooks.by_severity, severity: told})


def declare(
    incidents: IncidentService, severity: Severity = Severity.SEV1, *services: str
) -> IncidentView:
    return incidents.declare(
        severity=severity, title="checkout is down", by="U0ALICE", services=services
    ).view


def test_a_channel_is_opened_with_the_declarer_the_named_services_groups_and_announced(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    view = declare(incidents, Severity.SEV1, "checkout", "search", "unknown")

    opening = rooms.open(view)

    assert (opening.channel_id, opening.ticket, opening.problems) == ("C1", None, [])
    assert chat.calls == [
        ("create_channel", "inc-1"),
        ("group_members", "S0PAYMENTS"),
        ("group_members", "S0DISCOVERY"),
        ("invite", "C1", frozenset({"U0ALICE", "U0PAY1", "U0PAY2", "U0DISC"})),
        ("post", "C1", "card 1 investigating"),
        ("post", ANNOUNCE, "announcement 1 in C1"),
    ]
    stored = incidents.get(view.id)
    assert (stored.channel_id, stored.channel_name) == ("C1", "inc-1")
    assert (stored.card_ts, stored.announcement_ts) == ("ts-1", "ts-2")
    assert {Step.INVITE, Step.ANNOUNCE} <= stored.setup


def test_what_opening_a_channel_did_is_noted_in_one_write_after_the_channel(
    rooms: Rooms, incidents: IncidentService
) -> None:
    view = declare(incidents, Severity.SEV1, "checkout")
    commits: list[datetime] = []
    token = COMMITS.set(commits)
    try:
        rooms.open(view)
    finally:
        COMMITS.reset(token)

    assert len(commits) == 2  # the channel, as soon as it exists; then the rest at once


def test_a_failed_channel_creation_is_a_problem_and_the_incident_is_still_announced(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.failing.add("create_channel")
    view = declare(incidents)

    opening = rooms.open(view)

    assert opening.channel_id is None
    assert opening.problems == ["create channel: create_channel failed"]
    assert chat.to("post") == [(ANNOUNCE, "announcement 1 in None")]
    assert incidents.get(view.id).channel_id is None


def test_who_is_in_a_team_that_cannot_be_asked_is_a_problem_and_the_rest_are_invited(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.failing.add("group_members")
    view = declare(incidents, Severity.SEV1, "checkout")

    opening = rooms.open(view)

    assert opening.problems == ["find members (Payments): group_members failed"]
    assert chat.to("invite") == [("C1", frozenset({"U0ALICE"}))]


def test_a_failed_invitation_or_card_is_a_problem_and_no_card_is_recorded(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.failing.update({"invite", "post"})
    view = declare(incidents)

    opening = rooms.open(view)

    assert opening.channel_id == "C1"
    assert opening.problems == [
        "invite: invite failed",
        "post card: post failed",
        f"announce ({ANNOUNCE}): post failed",
    ]
    stored = incidents.get(view.id)
    assert (stored.card_ts, stored.announcement_ts) == (None, None)
    assert not stored.setup & {Step.INVITE, Step.ANNOUNCE}


def test_a_severity_without_a_channel_files_a_ticket_and_announces(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService, tickets: FakeTickets
) -> None:
    view = declare(incidents, Severity.SEV3)
    commits: list[datetime] = []
    token = COMMITS.set(commits)
    try:
        opening = rooms.open(view)
    finally:
        COMMITS.reset(token)

    assert (opening.channel_id, opening.ticket, opening.problems) == (None, "T-1", [])
    assert tickets.filed == [1]
    assert Step.FILE_TICKET in incidents.get(view.id).setup
    assert len(commits) == 2  # the ticket with its step (never one without the other); the rest
    assert chat.calls == [("post", ANNOUNCE, "announcement 1 in None")]
    with incidents.units() as uow:
        ticket = uow.tickets.for_incident(view.id)
    assert ticket is not None
    assert (ticket.system, ticket.reference) == ("fake", "T-1")


def test_a_ticket_that_cannot_be_filed_is_a_problem(
    rooms: Rooms, incidents: IncidentService, tickets: FakeTickets
) -> None:
    tickets.refuse = True
    view = declare(incidents, Severity.SEV3)

    opening = rooms.open(view)

    assert (opening.ticket, opening.problems) == (None, ["file ticket: the tracker is down"])
    with incidents.units() as uow:
        assert uow.tickets.for_incident(view.id) is None


def test_furnishing_sets_the_topic_and_pins_the_card_once_it_is_announced(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    rooms.open(declare(incidents))
    chat.calls.clear()

    problems = rooms.furnish(incidents.get(1))

    assert problems == []
    assert chat.calls == [("set_topic", "C1", "topic 1"), ("pin", "C1", "ts-1")]
    assert {Step.TOPIC, Step.PIN} <= incidents.get(1).setup


def test_furnishing_announces_an_incident_whose_announcement_failed_at_opening(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.refusing[ANNOUNCE] = "channel_not_found"
    rooms.open(declare(incidents))
    del chat.refusing[ANNOUNCE]
    chat.calls.clear()

    problems = rooms.furnish(incidents.get(1))

    assert problems == []
    assert chat.methods == ["set_topic", "pin", "find_tagged", "post"]  # looked first
    assert chat.to("post") == [(ANNOUNCE, "announcement 1 in C1")]
    assert incidents.get(1).announcement_ts is not None


def test_a_failed_topic_pin_or_announcement_is_a_problem(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.refusing[ANNOUNCE] = "channel_not_found"
    rooms.open(declare(incidents))
    chat.failing.update({"set_topic", "pin", "post"})

    problems = rooms.furnish(incidents.get(1))

    assert problems == [
        "topic: set_topic failed",
        "pin: pin failed",
        f"announce ({ANNOUNCE}): post failed",
    ]
    assert not incidents.get(1).setup & {Step.TOPIC, Step.PIN, Step.ANNOUNCE}


def test_furnishing_an_incident_without_a_channel_does_nothing(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    assert rooms.furnish(declare(incidents, Severity.SEV3)) == []
    assert chat.calls == []


def test_without_an_announcement_channel_nothing_is_announced(
    chat: FakeChat, incidents: IncidentService, playbooks: Playbooks
) -> None:
    rooms = Rooms(chat, incidents, playbooks, FakeTickets(), FakeRoomWording(), None)

    opening = rooms.open(declare(incidents, Severity.SEV3))

    assert (opening.ticket, chat.calls) == ("T-1", [])


def test_refreshing_the_card_updates_it_in_place(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    rooms.open(declare(incidents))
    chat.calls.clear()

    rooms.refresh_card(incidents.get(1))

    assert chat.calls == [
        ("update", "C1", "ts-1", "card 1 investigating"),
        ("update", ANNOUNCE, "ts-2", "announcement 1 in C1"),
    ]


def test_refreshing_the_card_does_nothing_without_a_card(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    chat.failing.add("post")
    rooms.open(declare(incidents))
    chat.calls.clear()

    rooms.refresh_card(incidents.get(1))
    rooms.refresh_card(declare(incidents, Severity.SEV3))

    assert chat.calls == []


def test_a_card_that_cannot_be_refreshed_is_only_logged(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService, caplog: pytest.LogCaptureFixture
) -> None:
    rooms.open(declare(incidents))
    chat.failing.add("update")

    rooms.refresh_card(incidents.get(1))

    assert "could not update the card of incident 1" in caplog.text


def test_a_status_update_goes_to_the_channel_and_in_the_announcements_thread(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    rooms.open(declare(incidents))
    rooms.furnish(incidents.get(1))
    chat.calls.clear()

    published = rooms.publish_update(incidents.get(1), "U0BOB", "We are on it.")

    assert chat.to("post") == [
        ("C1", "update 1 by U0BOB: We are on it."),
        (ANNOUNCE, "stakeholders 1: We are on it."),
    ]
    announcement = incidents.get(1).announcement_ts
    assert announcement is not None and chat.posted[-1].thread == announcement
    assert published.not_told == ()


def test_a_status_update_typed_before_the_announcement_announces_the_incident_first(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    rooms.open(declare(incidents))  # the channel, before furnishing announced it
    chat.calls.clear()

    rooms.publish_update(incidents.get(1), "U0BOB", "We are on it.")
    rooms.furnish(incidents.get(1))  # the set-up, catching up, does not announce it twice

    assert chat.texts(ANNOUNCE) == ["announcement 1 in C1", "stakeholders 1: We are on it."]
    announcement, update = (p for p in chat.posted if p.channel == ANNOUNCE)
    assert update.thread == announcement.ts == incidents.get(1).announcement_ts


def test_a_status_update_without_a_channel_goes_to_stakeholders_only(
    rooms: Rooms, chat: FakeChat, incidents: IncidentService
) -> None:
    view = declare(incidents, Severity.SEV3)
    rooms.open(view)
    chat.calls.clear()

    rooms.publish_update(incidents.get(view.id), "U0BOB", "We are on it.")

    assert chat.to("post") == [(ANNOUNCE, "stakeholders 1: We are on it.")]


def test_a_playbook_names_more_stakeholder_channels_each_told_whatever_the_others_answered(
    chat: FakeChat, incidents: IncidentService, playbooks: Playbooks, tickets: FakeTickets
) -> None:
    books = with_stakeholders(playbooks, Severity.SEV1, ["C0EXECS", "C0BROKEN"])
    rooms = Rooms(chat, incidents, books, tickets, FakeRoomWording(), ANNOUNCE)
    rooms.open(declare(incidents))
    rooms.furnish(incidents.get(1))
    chat.refusing["C0BROKEN"] = "not_in_channel"
    chat.calls.clear()

    published = rooms.publish_update(incidents.get(1), "U0BOB", "We are on it.")

    assert [channel for channel, _ in chat.to("post")] == ["C1", ANNOUNCE, "C0EXECS", "C0BROKEN"]
    assert [(p.channel, p.thread) for p in chat.posted[-2:]] == [
        (ANNOUNCE, incidents.get(1).announcement_ts),
        ("C0EXECS", None),  # a message of its own there
    ]
    assert [refused.channel for refused in published.not_told] == ["C0BROKEN"]
    assert published.stakeholders == (ANNOUNCE, "C0EXECS", "C0BROKEN")
    sev2 = declare(incidents, Severity.SEV2)
    assert rooms.stakeholder_channels(sev2) == [ANNOUNCE]  # the Sev1's channels only


def test_with_no_stakeholder_channel_the_incidents_channel_is_where_they_read(
    chat: FakeChat, incidents: IncidentService, playbooks: Playbooks, tickets: FakeTickets
) -> None:
    rooms = Rooms(chat, incidents, playbooks, tickets, FakeRoomWording(), None)
    rooms.open(declare(incidents))
    chat.refusing["C1"] = "is_archived"

    published = rooms.publish_update(incidents.get(1), "U0BOB", "We are on it.")

    assert published.stakeholders == ()
    assert [refused.channel for refused in published.not_told] == ["C1"]


def test_the_playbooks_channels_are_announced_to_and_a_refusal_is_tried_again_alone(
    chat: FakeChat, incidents: IncidentService, playbooks: Playbooks, tickets: FakeTickets
) -> None:
    books = with_stakeholders(playbooks, Severity.SEV1, ["C0EXECS"])
    rooms = Rooms(chat, incidents, books, tickets, FakeRoomWording(), ANNOUNCE)
    chat.refusing["C0EXECS"] = "not_in_channel"

    opening = rooms.open(declare(incidents))

    assert opening.problems == ["announce (C0EXECS): chat.postMessage failed: not_in_channel"]
    assert Step.ANNOUNCE in rooms.left_to_do(incidents.get(1))
    assert incidents.get(1).announcement_ts is not None  # the announcement channel's is noted
    del chat.refusing["C0EXECS"]
    rooms.furnish(incidents.get(1))
    assert chat.texts(ANNOUNCE) == ["announcement 1 in C1"]  # not twice
    assert chat.texts("C0EXECS") == ["announcement 1 in C1"]
    assert Step.ANNOUNCE not in rooms.left_to_do(incidents.get(1))
