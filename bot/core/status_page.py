"""The status page customers read, in the protocol's terms: what each incident state says
there, what a severity does to its components, and what was sent (read from the timeline).

Statuspage's words: a page incident is investigating, identified, monitoring or resolved;
each component it names is operational, degraded_performance, partial_outage or
major_outage (under_maintenance is for maintenance, never set here).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core import lifecycle
from bot.core.model import Event, EventKind


class PageStatus(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class ComponentStatus(enum.StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


class Opening(enum.StrEnum):
    """How a declaration reaches the page: offered (a button), or opened by the bot."""

    OFFER = "offer"
    AUTO = "auto"


class Send(enum.StrEnum):
    """What goes to the page: the incident opened there, a status update, its resolution."""

    OPEN = "open"
    UPDATE = "update"
    RESOLVE = "resolve"


PAGE_STATUS: dict[lifecycle.State, PageStatus] = {
    lifecycle.State.INVESTIGATING: PageStatus.INVESTIGATING,
    lifecycle.State.MITIGATED: PageStatus.MONITORING,
    lifecycle.State.RESOLVED: PageStatus.RESOLVED,
    lifecycle.State.CLOSED: PageStatus.RESOLVED,
}
"""What the page says while the incident is in each state."""


@dataclass(frozen=True)
class PageIncident:
    """The incident on the page as last sent: its id there, status and public link."""

    id: str
    status: PageStatus
    url: str = ""

    @property
    def is_open(self) -> bool:
        return self.status is not PageStatus.RESOLVED


def once_key(incident_id: int, send: Send, basis: int) -> str:
    """What may reach the page once: the opening, each status update (``basis``: its timeline
    entry), each resolution (``basis``: how many resolutions there were before)."""
    if send is Send.OPEN:
        return f"statuspage:{incident_id}:open"
    return f"statuspage:{incident_id}:{send}:{basis}"


def sent(events: Iterable[Event]) -> list[Event]:
    """The timeline entries of what reached the page, oldest first."""
    return [e for e in events if e.kind is EventKind.STATUS_PAGE_UPDATED]


def sent_as(events: Iterable[Event], key: str) -> Event | None:
    """The entry recording what ``key`` (``once_key``) sent, if it was sent."""
    return next((e for e in sent(events) if e.extra.get("key") == key), None)


def page_incident(events: Iterable[Event]) -> PageIncident | None:
    """The page incident as the timeline last recorded it; None before one was opened."""
    found = sent(events)
    if not found:
        return None
    last = found[-1].extra
    return PageIncident(last["page_incident"], PageStatus(last["status"]), last.get("url", ""))


def components_sent(events: Iterable[Event]) -> set[str]:
    """Every page component the incident's page posts have set (so its resolution brings each
    back to operational, services renamed since included)."""
    return {c for e in sent(events) for c in e.extra.get("components", "").split(",") if c}


def latest_update(events: Iterable[Event]) -> int:
    """The timeline entry of the incident's last status update (0 if none)."""
    return max((e.seq for e in events if e.kind is EventKind.STATUS_UPDATE_POSTED), default=0)


def resolutions(events: Iterable[Event]) -> int:
    """How many times the incident was resolved (a reopened one resolves again)."""
    return sum(1 for e in events if e.kind is EventKind.RESOLVED)
