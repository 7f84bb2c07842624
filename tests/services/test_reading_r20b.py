"""Review r20b: incidents a bot one migration behind wrote during a rolling update."""

from __future__ import annotations

from sqlalchemy import Engine, delete

from bot.adapters.db.tables import IncidentServiceRow
from bot.services.incidents import IncidentService
from tests.services.conftest import declare


def test_an_incident_declared_by_a_bot_behind_0018_is_still_found_by_its_service(
    engine: Engine, incidents: IncidentService
) -> None:
    # During a rolling update the old pods keep running on the migrated database until the new
    # ones are ready. Readiness refusing them (83fb5c6) takes them out of the Service, but a
    # Socket Mode connection, a request already taken and their timers keep going: what they
    # declare has no incident_services rows (0017 code does not know the table), and nothing
    # writes them later unless the incident's services change. Alerts and deploys of the
    # service then never reach that incident, and a critical alert is offered for
    # declaration again, as if nothing were open.
    incident = declare(incidents, services=("checkout",))
    with engine.begin() as connection:  # as a bot at 0017 leaves it
        connection.execute(delete(IncidentServiceRow))

    found = incidents.open_incidents({"checkout"})

    assert [view.id for view in found] == [incident]
