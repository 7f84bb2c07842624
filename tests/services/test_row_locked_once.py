"""An incident's row is locked once per transaction: a stage of the set-up that notes several
things (steps, the card's and the announcement's ts, the advice's event) reads the row once and
writes it once, and the lock is taken afresh in the next transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError, PendingRollbackError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import audit, seals
from bot.adapters.db import engine as engines
from bot.adapters.db.incidents import IncidentNotFound, Incidents
from bot.adapters.db.tables import IncidentRow
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Event, EventKind, Severity
from bot.playbooks.loader import Playbooks
from bot.services.incidents import IncidentService
from bot.services.ports import Conflict
from bot.services.rooms import Step
from tests.services.conftest import FixedClock

KEY = b"test-audit-key"


@pytest.fixture
def sealed(engine: Engine) -> sessionmaker[Session]:
    """Sessions that seal what they write, as the bot's do with AUDIT_KEY."""
    return engines.sessions(engine, KEY)


@pytest.fixture
def incidents(
    sealed: sessionmaker[Session], playbooks: Playbooks, now: FixedClock
) -> IncidentService:
    return IncidentService(units_of_work(sealed), playbooks.policies, now)


def whole(sealed: sessionmaker[Session]) -> list[str]:
    """What is wrong with the trail and the seals (nothing, when every write sealed the row as
    it was written)."""
    with sealed() as session:
        return [str(problem) for problem in audit.verify(session)] + list(
            seals.broken(session, KEY)
        )


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run inside the block, whitespace folded."""
    ran: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        ran.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", count)


def touching_incidents(ran: list[str]) -> tuple[list[str], list[str]]:
    """The reads and the writes of the ``incidents`` table among ``ran``."""
    reads = [s for s in ran if s.startswith("SELECT incidents.id")]
    writes = [s for s in ran if s.startswith("UPDATE incidents ")]
    return reads, writes


def declared(incidents: IncidentService) -> int:
    return incidents.declare(
        severity=Severity.SEV1, title="checkout 500s", by="U0ALICE", services=("checkout",)
    ).view.id


def a_declaration(now: FixedClock) -> Event:
    """A Sev2's declaration, for the adapter's own ``add`` and ``declare``."""
    return Event(
        seq=1,
        at=now(),
        kind=EventKind.DECLARED,
        actor="U0ALICE",
        severity=Severity.SEV2,
        text="search is slow",
    )


def test_a_stage_noting_steps_card_and_announcement_reads_and_writes_the_row_once(
    engine: Engine, incidents: IncidentService, sealed: sessionmaker[Session]
) -> None:
    incident = declared(incidents)

    with statements(engine) as ran:
        incidents.note_setup(
            incident, [Step.INVITE, Step.ANNOUNCE], card_ts="1.0001", announcement_ts="2.0002"
        )

    reads, writes = touching_incidents(ran)
    assert (len(reads), len(writes)) == (1, 1)
    view = incidents.get(incident)
    assert (view.card_ts, view.announcement_ts) == ("1.0001", "2.0002")
    assert {Step.INVITE, Step.ANNOUNCE} <= view.setup
    assert whole(sealed) == []  # the one write sealed what the row holds


def test_a_stage_with_its_event_locks_once_and_keeps_the_chain_whole(
    engine: Engine, incidents: IncidentService, sealed: sessionmaker[Session], now: FixedClock
) -> None:
    incident = declared(incidents)
    advice = Event(
        seq=0,
        at=now() + timedelta(seconds=5),
        kind=EventKind.ROLLBACK_ADVISED,
        actor="incident-bot",
        text="Roll back first: checkout was deployed 10 minutes ago.",
        extra={"signature": "checkout@v42"},
    )

    with statements(engine) as ran:
        incidents.note_setup(incident, [Step.FIRST_ACTIONS], finished=True, event=advice)

    reads, writes = touching_incidents(ran)
    assert (len(reads), len(writes)) == (1, 1)  # the lock's read; head, steps and date at once
    view = incidents.get(incident)
    assert view.events[-1].text == advice.text
    assert Step.FIRST_ACTIONS in view.setup
    assert whole(sealed) == []


def test_the_lock_is_taken_again_in_the_next_transaction(
    engine: Engine, incidents: IncidentService, sealed: sessionmaker[Session]
) -> None:
    incident = declared(incidents)
    with sealed() as session:
        rows = Incidents(session)
        writes: list[Callable[[], None]] = [
            lambda: rows.attach_card(incident, "1.0001"),
            lambda: rows.attach_announcement(incident, "2.0002"),
        ]
        with statements(engine) as first:
            for write in writes:
                write()
            session.commit()
        with statements(engine) as second:
            rows.attach_card(incident, "3.0003")
            session.commit()

    assert len(touching_incidents(first)[0]) == 1
    assert len(touching_incidents(second)[0]) == 1  # not the first transaction's lock
    assert incidents.get(incident).card_ts == "3.0003"
    assert whole(sealed) == []


def test_a_row_inserted_in_the_transaction_is_held_without_reading_it(
    engine: Engine, sealed: sessionmaker[Session], now: FixedClock
) -> None:
    declaration = a_declaration(now)
    with sealed() as session, statements(engine) as ran:
        rows = Incidents(session)
        stored = rows.declare(declaration)
        rows.attach_channel(stored.id, "C0INC1", "inc-1-search-is-slow")
        session.commit()

    reads, _ = touching_incidents(ran)
    assert reads == []
    with sealed() as session:
        assert Incidents(session).get(stored.id).channel_id == "C0INC1"
    assert whole(sealed) == []


def locked_elsewhere(engine: Engine, incident_id: int) -> bool:
    """Whether another connection finds the incident's row locked (PostgreSQL)."""
    with engine.connect() as other:
        try:
            other.execute(
                text("SELECT id FROM incidents WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": incident_id},
            )
        except OperationalError:
            return True
        finally:
            other.rollback()
    return False


def test_a_lock_released_by_a_rolled_back_savepoint_is_taken_again(
    engine: Engine, incidents: IncidentService, sealed: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite's writer holds the whole database)")
    incident = declared(incidents)
    with sealed() as session:
        rows = Incidents(session)
        savepoint = session.begin_nested()
        rows.get(incident, lock=True)
        assert locked_elsewhere(engine, incident)
        savepoint.rollback()  # PostgreSQL lets go of the row locks taken in it
        rows.get(incident, lock=True)
        assert locked_elsewhere(engine, incident)


def test_a_row_added_in_a_rolled_back_savepoint_is_gone(
    sealed: sessionmaker[Session], now: FixedClock
) -> None:
    declaration = a_declaration(now)
    with sealed() as session:
        rows = Incidents(session)
        savepoint = session.begin_nested()
        stored = rows.add(declaration)
        savepoint.rollback()
        with pytest.raises(IncidentNotFound):
            rows.attach_card(stored.id, "1.0001")


def test_a_write_after_the_session_let_go_of_the_row_is_kept(
    incidents: IncidentService, sealed: sessionmaker[Session]
) -> None:
    incident = declared(incidents)
    with sealed() as session:
        rows = Incidents(session)
        rows.attach_card(incident, "1.0001")
        session.expunge_all()
        rows.attach_announcement(incident, "2.0002")
        session.commit()
    view = incidents.get(incident)
    assert (view.card_ts, view.announcement_ts) == (None, "2.0002")  # the card went with it


def test_a_savepoint_whose_write_failed_hands_out_no_held_row(
    incidents: IncidentService, sealed: sessionmaker[Session], now: FixedClock
) -> None:
    incident = declared(incidents)
    declaration = a_declaration(now)
    with sealed() as session:
        Incidents(session).add(declaration, request_key="k1")
        session.commit()
    with sealed() as session:
        rows = Incidents(session)
        rows.get(incident, lock=True)  # held by the outer transaction
        session.begin_nested()
        with pytest.raises(Conflict):
            rows.add(declaration, request_key="k1")  # the savepoint must be rolled back now
        with pytest.raises(PendingRollbackError):
            rows.attach_card(incident, "1.0001")


def test_a_row_about_to_be_deleted_is_not_held(
    sealed: sessionmaker[Session], now: FixedClock
) -> None:
    declaration = a_declaration(now)
    with sealed() as session:
        incident = Incidents(session).add(declaration).id
        session.commit()
    with sealed() as session:
        rows = Incidents(session)
        rows.set_up(incident)  # locked and held
        row = session.get(IncidentRow, incident)
        session.delete(row)
        with pytest.raises(IncidentNotFound):  # the read flushes the delete first, as before
            rows.attach_card(incident, "1.0001")
