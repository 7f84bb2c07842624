"""Reading does not grow with history nor wait for writers: every open incident in a bounded
number of statements, and a read beside an open write transaction (SQLite: no write lock)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.tables import IncidentServiceRow
from bot.core import lifecycle
from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from tests.services.conftest import declare

OPEN = [str(state) for state in lifecycle.OPEN_STATES]  # in the order the adapter binds them


def statements_to_list(
    engine: Engine, incidents: IncidentService, services: set[str] | None = None
) -> tuple[int, list[str]]:
    """How many incidents ``open_incidents(services)`` read, and the SQL statements it ran
    (SQLite's BEGIN left out)."""
    counted: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement != "BEGIN":
            counted.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        listed = incidents.open_incidents(services)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(listed), counted


def test_listing_every_open_incident_takes_the_same_statements_however_many(
    engine: Engine, incidents: IncidentService
) -> None:
    for _ in range(3):
        declare(incidents)
    few = statements_to_list(engine, incidents)
    for _ in range(27):
        incident = declare(incidents)
        incidents.record(incident, EventKind.ACKNOWLEDGED, "U0BOB")
    many = statements_to_list(engine, incidents)

    assert (few[0], many[0]) == (3, 30)
    assert len(few[1]) == len(many[1]) <= 4
    listed = incidents.open_incidents()
    assert [view.id for view in listed] == list(range(1, 31))
    assert listed[-1].events[-1].kind is EventKind.ACKNOWLEDGED  # each its own timeline


def test_a_read_does_not_wait_for_a_write_in_progress(
    engine: Engine, incidents: IncidentService
) -> None:
    incident = declare(incidents)
    with engine.connect() as writer:
        writer.execute(
            text("UPDATE incidents SET title = 'renamed' WHERE id = :id"), {"id": incident}
        )
        # the writer holds its lock (SQLite: the database's) until it commits

        seen = incidents.get(incident)
        listed = incidents.open_incidents()

        writer.commit()
    assert seen.title != "renamed" and [view.id for view in listed] == [incident]


def test_an_alert_or_a_deploy_reads_only_the_incidents_of_its_services(
    incidents: IncidentService,
) -> None:
    checkout = declare(incidents, services=("checkout",))
    both = declare(incidents, services=("search", "checkout"))
    declare(incidents, services=("checkout-api",))  # a name that begins like another
    odd = declare(incidents, services=("pay_100%",))
    declare(incidents, services=("payx100x",))  # what _ and % would match as wildcards

    def ids(*services: str) -> list[int]:
        return [view.id for view in incidents.open_incidents(set(services))]

    assert ids("checkout") == [checkout, both]
    assert ids("search", "pay_100%") == [both, odd]
    assert ids("accounts") == [] and ids() == []
    assert len(incidents.open_incidents()) == 5


def test_a_list_reads_only_what_it_shows_and_counts_the_rest(
    engine: Engine, incidents: IncidentService
) -> None:
    """`/incident list` at thousands open: the first few and the count, in a bounded number of
    statements; the events read are only the shown incidents'."""
    for _ in range(12):
        declare(incidents)
    read: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        read.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        shown, total = incidents.open_listed(5)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert [view.id for view in shown] == [1, 2, 3, 4, 5] and total == 12
    assert all(view.events for view in shown)
    assert len(read) <= 5


def named(sessions: sessionmaker[Session]) -> Callable[[int], set[str]]:
    def services_of(incident: int) -> set[str]:
        with sessions() as session:
            rows = session.query(IncidentServiceRow).filter_by(incident_id=incident)
            return {row.service for row in rows}

    return services_of


def test_services_changed_are_found_by_their_new_names_only(
    sessions: sessionmaker[Session], incidents: IncidentService
) -> None:
    incident = declare(incidents, services=("checkout", "search"))
    other = declare(incidents, services=("search",))
    incidents.record(incident, EventKind.SERVICES_CHANGED, "U0BOB", extra={"services": "payments"})

    def ids(*services: str) -> list[int]:
        return [view.id for view in incidents.open_incidents(set(services))]

    assert ids("payments") == [incident]
    assert ids("checkout") == [] and ids("search") == [other]
    assert named(sessions)(incident) == {"payments"}  # the old names' rows deleted
    assert ids("Payments") == []  # exactly as named


def test_services_an_older_bot_left_unnamed_are_named_when_they_change(
    sessions: sessionmaker[Session], incidents: IncidentService
) -> None:
    """A bot one migration behind declares without writing incident_services; the next change
    of services by this one names them all, not only the difference from the column."""
    incident = declare(incidents, services=("checkout",))
    with sessions.begin() as session:
        session.query(IncidentServiceRow).filter_by(incident_id=incident).delete()
    assert incidents.open_incidents({"checkout"}) == []  # what the older bot leaves

    incidents.record(
        incident, EventKind.SERVICES_CHANGED, "U0BOB", extra={"services": "checkout,search"}
    )

    assert named(sessions)(incident) == {"checkout", "search"}
    assert [view.id for view in incidents.open_incidents({"checkout"})] == [incident]


def test_an_alert_or_a_deploy_reads_in_the_same_statements_however_many_are_open(
    engine: Engine, incidents: IncidentService
) -> None:
    """By service, the ids are read once (an indexed lookup), then their rows and timelines."""
    declare(incidents, services=("checkout",))
    for n in range(3):
        declare(incidents, services=(f"svc-{n}",))
    few = statements_to_list(engine, incidents, {"checkout"})
    for n in range(40):
        declare(incidents, services=(f"svc-{n}",))
    declare(incidents, services=("search", "checkout"))
    many = statements_to_list(engine, incidents, {"checkout"})
    none = statements_to_list(engine, incidents, {"accounts"})

    assert (few[0], many[0], none[0]) == (1, 2, 0)
    assert len(few[1]) == len(many[1]) == 3
    assert len(none[1]) == 1  # nothing found: no rows or timelines to read
    if engine.dialect.name == "sqlite":  # the ids by the service index, not the open incidents
        with engine.connect() as connection:
            plan = [
                str(row[-1])
                for row in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {many[1][0]}", ("checkout", *OPEN)
                )
            ]
        assert plan[0].startswith("SEARCH incident_services USING COVERING INDEX")
        assert all("ix_incidents_state" not in step and "SCAN" not in step for step in plan)
