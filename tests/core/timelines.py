"""Small builders for timelines in core tests: events at minutes after a fixed declaration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.model import Event, EventKind, Severity
from bot.playbooks import loader

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
SHIPPED = loader.load(Path(__file__).resolve().parents[2] / "playbooks").policies


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Timeline:
    """Events in order, each ``seq`` one more than the last."""

    def __init__(self, severity: Severity = Severity.SEV1, declared_at: float = 0) -> None:
        self.events: list[Event] = []
        self.add(declared_at, EventKind.DECLARED, actor="U_DECLARER", severity=severity, text="x")

    def add(
        self, minute: float, kind: EventKind, actor: str = "U_ALICE", **fields: Any
    ) -> Timeline:
        self.events.append(Event(len(self.events) + 1, at(minute), kind, actor, **fields))
        return self

    def commander(self, minute: float, user: str) -> Timeline:
        return self.add(minute, EventKind.COMMANDER_ASSIGNED, subject=user)

    def ack(self, minute: float, user: str) -> Timeline:
        return self.add(minute, EventKind.ACKNOWLEDGED, actor=user)

    def join(self, minute: float, user: str) -> Timeline:
        return self.add(minute, EventKind.JOINED, actor=user)

    def update(self, minute: float, next_in: timedelta) -> Timeline:
        return self.add(minute, EventKind.STATUS_UPDATE_POSTED, next_update=next_in)

    def severity(self, minute: float, severity: Severity) -> Timeline:
        return self.add(minute, EventKind.SEVERITY_CHANGED, severity=severity)
