"""GET /metrics answers while the database is unreachable (issue 17): the gauges that need it
are left out, ``incident_bot_ready 0`` stays visible, and the failure is one log line when it
starts and one when it ends, not a traceback per scrape."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import generate_latest
from sqlalchemy.exc import OperationalError

from bot.entrypoints.metrics import Metrics, Saturation


class Database:
    """Readings that raise like an unreachable database until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False

    def check(self) -> None:
        if not self.up:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    def open_counts(self) -> dict[str, int]:
        self.check()
        return {"sev1": 1, "sev2": 0}

    def timers_due(self) -> int:
        self.check()
        return 3


def metrics_on(database: Database) -> Metrics:
    metrics = Metrics()
    metrics.watch(
        Saturation(
            open_incidents=database.open_counts,
            timers_due=database.timers_due,
            db_connections_in_use=lambda: 0,
            work_queue=lambda: 2,
            ready=lambda: database.up,
        )
    )
    return metrics


def test_metrics_answer_while_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database()
    metrics = metrics_on(database)
    with caplog.at_level(logging.INFO, logger="bot.entrypoints.metrics"):
        scrapes = [generate_latest(metrics.registry).decode() for _ in range(20)]
        database.up = True
        back = generate_latest(metrics.registry).decode()
        generate_latest(metrics.registry)
    down = scrapes[-1]
    assert "incident_bot_ready 0.0" in down
    assert "incident_bot_work_queue 2.0" in down
    assert "incident_bot_open_incidents{" not in down
    assert "incident_bot_timers_due " not in down
    assert "incident_bot_ready 1.0" in back
    assert 'incident_bot_open_incidents{severity="sev1"} 1.0' in back
    assert "incident_bot_timers_due 3.0" in back
    started, ended = caplog.records
    assert started.getMessage() == "metrics readings failing"
    assert started.exc_info is None
    assert ended.getMessage() == "metrics readings working again"
