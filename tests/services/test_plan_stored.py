"""An event stores the incident's deadlines and timers again only when it moves one: a note
writes its event and nothing of the plan; an acknowledgement that meets a deadline, and a
timer's record of a miss (the time that passed), store it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.tables import DeadlineRow
from bot.core.model import EventKind, Severity
from bot.services.incidents import IncidentService
from tests.services.conftest import FixedClock, declare


def plan_statements(engine: Engine, record: object) -> list[str]:
    """The statements touching deadlines or timers while ``record()`` runs."""
    seen: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "deadlines" in statement or "timers" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        record()  # type: ignore[operator]
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def statuses(sessions: sessionmaker[Session], incident: int) -> dict[str, str]:
    with sessions() as session:
        rows = session.scalars(select(DeadlineRow).where(DeadlineRow.incident_id == incident))
        return {row.key: row.status for row in rows}


def test_a_note_stores_nothing_of_the_plan_and_an_ack_that_meets_a_deadline_does(
    engine: Engine, incidents: IncidentService, sessions: sessionmaker[Session]
) -> None:
    incident = declare(incidents, Severity.SEV2)  # one acknowledgement assembles a Sev2
    noted = plan_statements(
        engine, lambda: incidents.record(incident, EventKind.NOTE_ADDED, "U0BOB", text="hi")
    )
    acked = plan_statements(
        engine, lambda: incidents.record(incident, EventKind.ACKNOWLEDGED, "U0BOB")
    )

    assert noted == []
    assert any("deadlines" in statement for statement in acked)
    assert "met" in statuses(sessions, incident).values()


def test_a_miss_is_stored_when_its_timer_records_it_though_a_note_came_after_it_fell_due(
    incidents: IncidentService, sessions: sessionmaker[Session], now: FixedClock
) -> None:
    incident = declare(incidents)
    due = next(d for d in incidents.get(incident).deadlines if d.status == "pending")
    now.now = due.due_at + timedelta(seconds=5)
    incidents.record(incident, EventKind.NOTE_ADDED, "U0BOB", text="still looking")
    assert statuses(sessions, incident)[due.key] == "pending"  # as when nothing comes

    incidents.record(
        incident,
        EventKind.DEADLINE_MISSED,
        "incident-bot",
        extra={"deadline": due.key, "due_at": due.due_at.isoformat()},
    )

    assert statuses(sessions, incident)[due.key] == "missed"
