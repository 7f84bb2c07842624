"""The paging port: wake a service's on-call (PagerDuty's Events API in production)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Page:
    """A trigger for ``routing_key``'s on-call; pages with one ``dedup_key`` are one alert."""

    routing_key: str
    dedup_key: str
    summary: str
    severity: str  # critical, error, warning or info
    source: str = "incident-bot"


class Pager(Protocol):
    def trigger(self, page: Page) -> bool:
        """Send ``page``; False when it was not taken (the failure is logged, never raised)."""
        ...
