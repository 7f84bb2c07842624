"""Reports on how the team responds: the record read once, measured by ``bot.core.insights``."""

from __future__ import annotations

from collections.abc import Callable, Collection
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
        with self.units() as uow:
            records = uow.records.records(scope.since, scope.until, self.policies, now)
        return insights.report(records, scope, period)
