"""The bot's four golden signals and protocol figures, for Prometheus at GET /metrics.

One registry per running bot (not the library's global one), so tests can run several.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.entrypoints.bounded import PROBE_SECONDS, Bounded, NotAnswered
from bot.entrypoints.outages import Outage
from bot.services.ports import StorageUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0)


@dataclass(frozen=True)
class Saturation:
    """Readings taken at scrape time."""

    open_incidents: Callable[[], dict[str, int]]
    timers_due: Callable[[], int]
    db_connections_in_use: Callable[[], int]
    work_queue: Callable[[], int]
    ready: Callable[[], bool]


class _Readings(Collector):
    """The gauges read at scrape time. A reading that fails (the database is unreachable) is
    left out of that scrape, never a failed scrape: ``incident_bot_ready`` 0 stays visible.
    A scrape with a failed reading is told through an ``Outage``: one line when the failures
    start, a reminder at most every five minutes, one line when they end; not one per scrape."""

    def __init__(self, saturation: Saturation, probe_seconds: float = PROBE_SECONDS) -> None:
        self.saturation = saturation
        self.outage = Outage(
            "metrics readings", log, expected=(SQLAlchemyError, StorageUnavailable, NotAnswered)
        )
        # Those asking the database wait for it a few seconds at most (bot/entrypoints/bounded.py)
        self._open_incidents = Bounded(saturation.open_incidents, "open incidents", probe_seconds)
        self._timers_due = Bounded(saturation.timers_due, "timers due", probe_seconds)

    @staticmethod
    def _read(reading: Callable[[], T], failures: list[Exception]) -> T | None:
        """``reading()``, or None (its error added to ``failures``) when it raises."""
        try:
            return reading()
        except Exception as error:  # the database (or anything under it) is unreachable
            failures.append(error)
            return None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        failures: list[Exception] = []  # this scrape's failed readings
        counts = self._read(self._open_incidents, failures)
        if counts is not None:
            incidents = GaugeMetricFamily(
                "incident_bot_open_incidents", "Open incidents", labels=["severity"]
            )
            for severity, count in sorted(counts.items()):
                incidents.add_metric([severity], count)
            yield incidents
        gauges: list[tuple[str, str, Callable[[], int]]] = [
            (
                "incident_bot_timers_due",
                "Timers past their time and not yet fired",
                self._timers_due,
            ),
            (
                "incident_bot_db_connections_in_use",
                "Database connections checked out of the pool",
                self.saturation.db_connections_in_use,
            ),
            (
                "incident_bot_work_queue",
                "Acknowledged requests waiting for a worker",
                self.saturation.work_queue,
            ),
        ]
        for name, documentation, reading in gauges:
            value = self._read(reading, failures)
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)
        ready = self._read(self.saturation.ready, failures)
        yield GaugeMetricFamily(
            "incident_bot_ready", "1 when /readyz passes", value=1 if ready else 0
        )
        if failures:
            self.outage.failed(failures[0])
        else:
            self.outage.ok()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "incident_bot_requests",
            "Requests by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.work_failures = Counter(
            "incident_bot_work_failures",
            "Acknowledged requests whose work failed afterwards (the ack counted them ok), by "
            "kind and cause: database, slack, error, or not_told (recorded, not posted)",
            ["kind", "cause"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "incident_bot_request_seconds",
            "Time to answer a request (the acknowledgement)",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "incident_bot_slack_calls",
            "Slack Web API calls by result",
            ["method", "result"],
            registry=self.registry,
        )
        self.deadlines = Counter(
            "incident_bot_deadlines",
            "Deadlines met or missed",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.timer_notices = Counter(
            "incident_bot_timer_notices",
            "Timers' notices (overdue, escalation, reminder) by whom they reached; "
            'reached="nobody" is a notice that every target of the fallback chain refused',
            ["purpose", "reached"],
            registry=self.registry,
        )
        self.timer_lateness = Histogram(
            "incident_bot_timer_lateness_seconds",
            "How long after its time a timer fired",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )

    def watch(self, saturation: Saturation) -> None:
        self.registry.register(_Readings(saturation))
