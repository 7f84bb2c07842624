"""Reports on how the team responds: the record read once, measured by ``bot.core.insights``."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterator
from datetime import datetime, timedelta

from bot.core import insights
from bot.core.insights import Grouping, Report, Scope
from bot.core.model import Severity
from bot.core.policy import Policies
from bot.services.ports import UnitOfWork


class Insights:
    """Reports over the store's incidents, their deadlines planned with ``policies``."""

    def __init__(
        self,
        units: Callable[[], UnitOfWork],
        policies: Policies,
        clock: Callable[[], datetime],
    ) -> None:
        self.units = units
        self.policies = policies
        self.clock = clock

    def report(
        self,
        since: timedelta,
        severities: Collection[Severity] = (),
        services: Collection[str] = (),
        period: Grouping = Grouping.WEEK,
        until: datetime | None = None,
    ) -> Report:
        """The incidents declared in the ``since`` before ``until`` (default: now), of these
        severities and services (none named: all)."""
        now = self.clock()
        end = until or now
        scope = Scope(
            end - since, end, frozenset(severities), frozenset(s.lower() for s in services)
        )
        with collector_paused(), self.units() as uow:
            uow.read_only()
            records = uow.records.records(scope.since, scope.until, self.policies, now)
            return insights.report(records, scope, period)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a report is made (and, by `incident-bot report`,
    written): it makes a million small objects, none in a cycle, and the collector's passes
    over them found nothing but took a third of a 10,000-incident report's time
    (benchmarks/report.py). Reference counting still frees them; the collector resumes after,
    if it ran before (it collects any cycle made meanwhile then). Nests."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
