"""Reading does not grow with history nor wait for writers: every open incident in a bounded
number of statements, and a read beside an open write transaction (SQLite: no write lock)."""

from __future__ import annotations

from sqlalchemy import Engine, event, text

from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from tests.services.conftest import declare


def statements_to_list(engine: Engine, incidents: IncidentService) -> tuple[int, int]:
    """How many incidents ``open_incidents`` read, and in how many SQL statements."""
    counted: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        counted.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        listed = incidents.open_incidents()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(listed), len(counted)


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
    assert few[1] == many[1] <= 4
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
