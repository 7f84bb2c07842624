"""The bot's four golden signals and protocol figures, for Prometheus at GET /metrics.

One registry per running bot (not the library's global one), so tests can run several.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
    def __init__(self, saturation: Saturation) -> None:
        self.saturation = saturation

    def collect(self) -> Iterator[GaugeMetricFamily]:
        incidents = GaugeMetricFamily(
            "incident_bot_open_incidents", "Open incidents", labels=["severity"]
        )
        for severity, count in sorted(self.saturation.open_incidents().items()):
            incidents.add_metric([severity], count)
        yield incidents
        yield GaugeMetricFamily(
            "incident_bot_timers_due",
            "Timers past their time and not yet fired",
            value=self.saturation.timers_due(),
        )
        yield GaugeMetricFamily(
            "incident_bot_db_connections_in_use",
            "Database connections checked out of the pool",
            value=self.saturation.db_connections_in_use(),
        )
        yield GaugeMetricFamily(
            "incident_bot_work_queue",
            "Acknowledged requests waiting for a worker",
            value=self.saturation.work_queue(),
        )
        yield GaugeMetricFamily(
            "incident_bot_ready", "1 when /readyz passes", value=1 if self.saturation.ready() else 0
        )


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
