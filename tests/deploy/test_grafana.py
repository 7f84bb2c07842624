"""The Grafana dashboard: it queries only the insights views, and on PostgreSQL every panel's
query runs and the views agree with bot.core.insights on the fixed incidents."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text

from bot.adapters.db import engine as engines
from bot.adapters.db.unit_of_work import units_of_work
from bot.core import deadlines, insights, model
from bot.core.insights import Record
from bot.core.model import EventKind, Severity
from tests.core.timelines import SHIPPED, Timeline, at
from tests.support.insights import records, store

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
VIEWS = {"insights_incidents", "insights_deadlines"}
WINDOW = "'2026-01-01T00:00:00Z' AND '2027-01-01T00:00:00Z'"


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (GRAFANA / "dashboards" / "incident-insights.json").read_text()
    )
    return loaded


def queries() -> list[str]:
    return [target["rawSql"] for panel in dashboard()["panels"] for target in panel["targets"]]


def runnable(sql: str) -> str:
    """The query as Grafana sends it, its time filter macro expanded."""
    return re.sub(r"\$__timeFilter\((\w+)\)", rf"\1 BETWEEN {WINDOW}", sql)


def test_every_panel_reads_the_views_through_the_chosen_data_source() -> None:
    board = dashboard()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    for sql in queries():
        named = set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", sql, re.IGNORECASE))
        assert named <= VIEWS | {"unnest"}, sql
        assert "$__timeFilter(" in sql


def test_the_provisioning_files_point_at_the_dashboards() -> None:
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards.yaml").read_text())
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources.yaml").read_text())

    assert providers["providers"][0]["type"] == "file"
    assert sources["datasources"][0]["type"] == "grafana-postgresql-datasource"


def test_on_postgresql_the_views_agree_with_the_core(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the views exist on PostgreSQL only (TEST_DATABASE_URL)")
    chosen = records()
    store(units_of_work(engines.sessions(engine)), chosen)
    with engine.connect() as connection:
        for sql in queries():
            connection.execute(text(runnable(sql).replace(":", r"\:"))).all()
        rows = connection.execute(
            text(
                "SELECT id, seconds_to_acknowledge, seconds_to_first_update,"
                " seconds_to_mitigate, seconds_to_resolve FROM insights_incidents ORDER BY id"
            )
        ).all()
    expected = [
        (
            r.id,
            *(
                None if (v := measure(r)) is None else v.total_seconds()
                for measure in (
                    insights.time_to_acknowledge,
                    insights.time_to_first_update,
                    insights.time_to_mitigate,
                    insights.time_to_resolve,
                )
            ),
        )
        for r in chosen
    ]
    assert [tuple(None if v is None else float(v) for v in row) for row in rows] == [
        tuple(None if v is None else float(v) for v in row) for row in expected
    ]


def _moved_late() -> Record:
    """A Sev2 naming no service, resolved, whose follow-up's due date moved after it passed
    and which was then done by the new one: one follow-up, missed."""
    t = Timeline(Severity.SEV2).add(1, EventKind.RESOLVED)
    t.add(
        2,
        EventKind.FOLLOW_UP_ADDED,
        subject="U_BOB",
        text="retries",
        extra={"due": at(60).isoformat()},
    )
    t.add(90, EventKind.FOLLOW_UP_CHANGED, extra={"follow_up": "1", "due": at(200).isoformat()})
    t.add(150, EventKind.FOLLOW_UP_DONE, extra={"follow_up": "1"})
    events = tuple(t.events)
    return Record(4, model.replay(events), events, ())


def test_on_postgresql_the_deadline_view_counts_as_the_core_does(engine: Engine) -> None:
    """Per kind and severity, met, missed and pending, a follow-up counted once; and the
    incidents per service panel keeps those naming none."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the views exist on PostgreSQL only (TEST_DATABASE_URL)")
    now = datetime.now(UTC)
    chosen = [
        replace(r, deadlines=deadlines.plan(r.events, SHIPPED, now))
        for r in [*records(), _moved_late()]
    ]
    units = units_of_work(engines.sessions(engine))
    store(units, chosen)
    with units() as uow:
        for number, record in enumerate(chosen, 1):
            uow.deadlines.sync(number, record.deadlines)
        uow.commit()
    tally_sql = (
        "SELECT kind, severity, count(*) FILTER (WHERE status = 'met'),"
        " count(*) FILTER (WHERE status = 'missed'), count(*) FILTER (WHERE status = 'pending')"
        " FROM insights_deadlines GROUP BY kind, severity"
    )
    [services] = [sql for sql in queries() if "unnest" in sql]
    with engine.connect() as connection:
        viewed = {(k, s): (m, x, p) for k, s, m, x, p in connection.execute(text(tally_sql))}
        per_service = dict(connection.execute(text(runnable(services))).all())

    expected = {
        (str(kind), str(severity)): (t.met, t.missed, t.pending)
        for (kind, severity), t in insights.deadline_tallies(chosen).items()
    }
    assert viewed == expected
    assert viewed[("follow_up", "sev2")] == (0, 1, 0)
    assert per_service == {"checkout": 2, "search": 1, insights.NO_SERVICE: 1}
