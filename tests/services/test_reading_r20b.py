"""Review r20b: incidents a bot one migration behind wrote during a rolling update."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update

from bot.adapters.db import engine as engines
from bot.adapters.db.tables import IncidentRow, IncidentServiceRow
from bot.core import insights as core_insights
from bot.services.incidents import IncidentService
from bot.services.insights import Insights
from bot.services.ports import UnitsOfWork
from tests.services.conftest import declare


def test_an_incident_a_bot_behind_0018_declared_or_renamed_is_found_by_service_after_start_up(
    engine: Engine, incidents: IncidentService
) -> None:
    # During a rolling update the old pods keep running on the migrated database until the new
    # ones are ready. Readiness refusing them (83fb5c6) takes them out of the Service, but a
    # Socket Mode connection, a request already taken and their timers keep going: what they
    # declare has no incident_services rows (0017 code does not know the table), and nothing
    # writes them later unless the incident's services change. Alerts and deploys of the
    # service then never reach that incident, and a critical alert is offered for
    # declaration again, as if nothing were open.
    # Fixed by the newer bot's start-up: it indexes what an older one left out.
    incident = declare(incidents, services=("checkout",))
    renamed = declare(incidents, services=("search",))
    with engine.begin() as connection:  # as a bot at 0017 leaves them
        connection.execute(delete(IncidentServiceRow))
        connection.execute(
            update(IncidentRow).where(IncidentRow.id == renamed).values(services="checkout")
        )

    assert incidents.resync_services() == 2
    assert incidents.resync_services() == 0  # nothing left to fix

    found = incidents.open_incidents({"checkout"})
    assert [view.id for view in found] == [incident, renamed]
    assert incidents.open_incidents({"search"}) == []


def test_a_report_is_made_without_holding_the_write_queue(
    engine: Engine, incidents: IncidentService, units: UnitsOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /incident report (handlers.py) and the weekly digest read the whole history and measure
    # it inside a unit of work that is not read_only: on SQLite it begins with BEGIN IMMEDIATE
    # and holds the process's Writers queue (and SQLite's write lock) for the whole report,
    # so every declaration and timer write waits behind it, and after BUSY_SECONDS fails.
    if engine.dialect.name != "sqlite":
        pytest.skip("the write queue is SQLite's")
    declare(incidents)
    held: list[bool] = []
    measure = core_insights.report

    def report(*args: Any, **kwargs: Any) -> Any:
        held.append(engines.WRITERS[engine].held)
        return measure(*args, **kwargs)

    monkeypatch.setattr(core_insights, "report", report)
    Insights(units, incidents.policies, incidents.clock).report(timedelta(days=7))

    assert held == [False]
