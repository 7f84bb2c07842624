"""What the store keeps about an incident beyond its timeline, as plain records.

The shapes use cases read and write through the storage ports (``bot.services.ports``); the
database adapter (``bot.adapters.db``) maps them to rows. Times are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import model
from bot.core.model import Event, Incident
from bot.core.status_page import PageIncident
from bot.core.timers import Purpose

BOT = "incident-bot"  # the actor of what the bot itself records in a timeline


@dataclass(frozen=True)
class StoredIncident:
    id: int
    incident: Incident
    description: str = ""
    channel_id: str | None = None
    channel_name: str | None = None
    card_ts: str | None = None
    announcement_ts: str | None = None
    events: tuple[Event, ...] = ()
    """The timeline ``incident`` was replayed from."""
    setup: frozenset[str] = frozenset()
    """The set-up steps of its room done so far (``bot.services.rooms.Step`` values)."""

    def with_event(self, event: Event) -> StoredIncident:
        """The incident as it will be once ``event`` is appended (IllegalTransition if the
        lifecycle forbids it)."""
        events = (*self.events, event)
        return replace(self, incident=model.replay(events), events=events)


class IncidentNotFound(LookupError):
    def __init__(self, reference: object) -> None:
        super().__init__(f"no incident {reference}")


class TimerStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    FIRED = "fired"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class ClaimedTimer:
    id: int
    incident_id: int
    """``bot.core.timers.BOT_WIDE`` (0) for a bot-wide timer."""
    key: str
    deadline_key: str
    purpose: Purpose
    fire_at: datetime
    attempts: int
    posted: str | None


@dataclass(frozen=True)
class StatusUpdate:
    posted_at: datetime
    author: str
    impact: str
    affected: str
    action: str
    next_update: timedelta
    text: str


@dataclass(frozen=True)
class Postmortem:
    draft: str | None = None  # the latest draft, Markdown
    drafted_at: datetime | None = None
    published_url: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None


@dataclass(frozen=True)
class Ticket:
    system: str
    reference: str
    url: str | None
    filed_at: datetime


@dataclass(frozen=True)
class PageRecord:
    """An incident's incident on the public status page, and who is sending to it now.

    ``busy_key`` (what is being sent, ``status_page.once_key``), ``busy_by`` and ``busy_since``
    are set while someone's request is with the status page, so a second press waits."""

    page: PageIncident | None = None
    busy_key: str | None = None
    busy_by: str | None = None
    busy_since: datetime | None = None
