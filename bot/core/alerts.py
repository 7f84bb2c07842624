"""An infrastructure alert as the protocol sees it, and which ones are critical (a Sev1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

CRITICAL = ("critical", "page")  # Alertmanager severity labels that mean a Sev1


@dataclass(frozen=True)
class Alert:
    """One alert as Alertmanager reported it; times are UTC, ``ends_at`` None while firing."""

    fingerprint: str
    status: str  # firing or resolved
    name: str
    severity: str | None
    service: str | None
    summary: str
    labels: Mapping[str, str] = field(hash=False)
    starts_at: datetime
    ends_at: datetime | None
    url: str | None


def is_critical(alert: Alert) -> bool:
    return alert.severity is not None and alert.severity.casefold() in CRITICAL
