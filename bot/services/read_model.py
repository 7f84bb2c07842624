"""The incident as use cases and renderers read it: one flat record, as of a moment.

Flat on purpose: a message names ``view.title`` or ``view.channel_id``, never how storage keeps
them. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core import deadlines, follow_ups, lifecycle, telling
from bot.core.deadlines import Deadline
from bot.core.follow_ups import FollowUp
from bot.core.model import Event, Severity
from bot.core.telling import Untold
from bot.services.records import StoredIncident


@dataclass(frozen=True)
class IncidentView:
    """An incident, its timeline and its deadlines as of ``now``."""

    id: int
    title: str
    severity: Severity
    state: lifecycle.State
    declared_at: datetime
    declared_by: str
    started_at: datetime
    commander: str | None
    responders: frozenset[str]
    roles: Mapping[str, str]
    services: tuple[str, ...]
    description: str
    channel_id: str | None
    channel_name: str | None
    card_ts: str | None
    events: tuple[Event, ...]
    deadlines: tuple[Deadline, ...]
    now: datetime
    announcement_ts: str | None = None
    """Its one message in the announcement channel, if posted."""
    setup: frozenset[str] = frozenset()
    """The set-up steps of its room done so far (``bot.services.rooms.Step`` values)."""

    @classmethod
    def of(
        cls, stored: StoredIncident, planned: tuple[Deadline, ...], now: datetime
    ) -> IncidentView:
        incident = stored.incident
        return cls(
            id=stored.id,
            title=incident.title,
            severity=incident.severity,
            state=incident.state,
            declared_at=incident.declared_at,
            declared_by=incident.declared_by,
            started_at=incident.started_at,
            commander=incident.commander,
            responders=incident.responders,
            roles=incident.roles,
            services=incident.services,
            description=stored.description,
            channel_id=stored.channel_id,
            channel_name=stored.channel_name,
            card_ts=stored.card_ts,
            events=stored.events,
            deadlines=planned,
            now=now,
            setup=stored.setup,
            announcement_ts=stored.announcement_ts,
        )

    @property
    def is_open(self) -> bool:
        return self.state in lifecycle.OPEN_STATES

    @property
    def next_deadline(self) -> Deadline | None:
        return deadlines.next_due(self.deadlines)

    @property
    def follow_ups(self) -> tuple[FollowUp, ...]:
        """Its follow-ups, by number (``bot.core.follow_ups``)."""
        return follow_ups.follow_ups(self.events)

    @property
    def untold(self) -> Untold | None:
        """The status update or resolution stakeholders have not all heard, if any."""
        return telling.untold(self.events)
