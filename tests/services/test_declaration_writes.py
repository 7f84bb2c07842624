"""What a declaration asks of the database: its new rows written a table at a time, sealed as
a flush seals them; and what that must not change: an entry whose ``once`` key clashes still
leaves its transaction to be rolled back, and a room still looks for an announcement made
meanwhile just before it announces."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Event, EventKind, Severity
from bot.playbooks.loader import Playbooks
from bot.services.incidents import IncidentService
from bot.services.ports import Conflict
from bot.services.rooms import Rooms
from tests.core.timelines import T0
from tests.services.fakes import FakeChat
from tests.services.test_rooms import (  # noqa: F401 - fixtures, over this file's incidents
    ANNOUNCE,
    chat,
    declare,
    rooms,
    tickets,
)
from tests.services.test_row_locked_once import sealed as sealed
from tests.services.test_row_locked_once import statements, whole


@pytest.fixture
def incidents(sealed: sessionmaker[Session], playbooks: Playbooks) -> IncidentService:
    return IncidentService(units_of_work(sealed), playbooks.policies, lambda: T0)


def inserts(ran: list[str]) -> Counter[str]:
    """How many INSERT statements ``ran`` made into each table."""
    return Counter(s.split(" ")[2] for s in ran if s.startswith("INSERT INTO "))


def test_a_declarations_new_rows_go_in_one_statement_per_table_each_sealed(
    engine: Engine,
    sealed: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    """Its deadlines, timers, declaration and services were each built by the ORM and flushed
    one INSERT at a time (9 statements for the 2 deadlines and 5 timers a Sev1 opens)."""
    with statements(engine) as ran:
        view = declare(incidents, Severity.SEV1, "checkout")

    assert inserts(ran) == {
        "incidents": 1,
        "deadlines": 1,
        "events": 1,
        "incident_services": 1,
        "timers": 2,  # the set-up's own, then the deadlines' reminders and overdue notices
    }
    stored = incidents.get(view.id)
    assert len(stored.deadlines) == 2 and len(stored.events) == 1
    assert stored.services == ("checkout",)
    assert whole(sealed) == []  # every row sealed as written, the audit chain whole


def test_an_announcement_made_before_the_channel_was_noted_is_not_made_again(
    rooms: Rooms,  # noqa: F811
    incidents: IncidentService,
    chat: FakeChat,  # noqa: F811
) -> None:
    """A status update typed before the room has its channel announces the incident first
    (Rooms._announcement); the room, opened with the incident as read before, keeps that
    announcement instead of posting a second one."""
    view = declare(incidents)
    rooms.publish_update(incidents.get(view.id), "U0ALICE", "checkout errors")
    first = incidents.get(view.id).announcement_ts

    rooms.open(view)

    roots = [c for c in chat.calls if c[:2] == ("post", ANNOUNCE) and "announcement" in c[2]]
    assert len(roots) == 1, chat.calls
    assert first is not None and incidents.get(view.id).announcement_ts == first


def test_an_announcement_made_while_the_room_invites_is_not_made_again(
    rooms: Rooms,  # noqa: F811
    incidents: IncidentService,
    chat: FakeChat,  # noqa: F811
) -> None:
    """A status update typed while the new room invites its people (after the channel was
    noted) announces the incident; the room looks again just before announcing (found by an
    outside review of a read skipped)."""
    view = declare(incidents)
    chat.rate_limit(
        "invite", 2.0, lambda: rooms.publish_update(incidents.get(1), "U0ALICE", "errors")
    )

    rooms.open(view)

    roots = [c for c in chat.calls if c[:2] == ("post", ANNOUNCE) and "announcement" in c[2]]
    assert len(roots) == 1, chat.calls


def test_an_entry_whose_once_key_clashes_leaves_its_transaction_to_be_rolled_back(
    sealed: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    """Entries with no ``once`` key are written in bulk; one with a key still goes through
    a flush, whose failure the session remembers: nothing after it commits."""
    incident = declare(incidents).id
    pinned = Event(2, T0, EventKind.NOTE_ADDED, "U0ALICE", text="pinned")
    with sealed() as session:
        rows = Incidents(session)
        after = rows.get(incident, lock=True).with_event(pinned).incident
        rows.append(incident, pinned, after, once="pin:1")
        session.commit()
    again = Event(3, T0, EventKind.NOTE_ADDED, "U0ALICE", text="pinned again")
    with sealed() as session:
        rows = Incidents(session)
        after = rows.get(incident, lock=True).with_event(again).incident
        with pytest.raises(Conflict):
            rows.append(incident, again, after, once="pin:1")
        with pytest.raises(PendingRollbackError):
            rows.attach_card(incident, "1.0001")
    assert incidents.get(incident).card_ts is None
