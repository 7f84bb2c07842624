"""Recording fakes for the signal, channel-note and deadline use cases: wordings, pager, prober."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.alerts import Alert
from bot.core.rollback import Deploy
from bot.services.announcer import Escalated, Overdue, Reminder
from bot.services.chat import Message
from bot.services.pager import Page
from bot.services.probing import ProbeResult


def _said(text: str) -> Message:
    return Message(content=[], text=text)


class FakeSignalWording:
    """Says what it was asked to word, in one plain line."""

    def alert_firing(self, alert: Alert) -> Message:
        return _said(f"firing: {alert.name}")

    def declare_offer(self, alert: Alert) -> Message:
        return _said(f"declare? {alert.name} ({alert.fingerprint})")

    def no_dependencies(self) -> Message:
        return _said("no dependencies")

    def dependency_health(self, results: Sequence[ProbeResult]) -> Message:
        return _said("health: " + ", ".join(f"{r.target} {r.healthy}" for r in results))

    def mitigate(self, moves: Sequence[str]) -> Message:
        return _said("mitigate: " + ", ".join(moves))

    def recent_deploys(
        self, deploys: Sequence[Deploy], now: datetime, services: Sequence[str]
    ) -> Message:
        shown = ", ".join(f"{d.service} {d.version}" for d in deploys)
        return _said(f"deploys of {','.join(services)}: {shown}")

    def firing_alerts(self, alerts: Sequence[Alert]) -> Message:
        return _said("alerts: " + ", ".join(alert.name for alert in alerts))


class FakeDeadlineWording:
    """Keeps every notice it worded, and says it in one plain line."""

    def __init__(self) -> None:
        self.notices: list[Overdue | Reminder | Escalated] = []

    def overdue(self, notice: Overdue) -> Message:
        self.notices.append(notice)
        return _said(f"overdue: {notice.deadline.key}")

    def reminder(self, notice: Reminder) -> Message:
        self.notices.append(notice)
        return _said(f"reminder: {notice.deadline.key}")

    def escalation(self, notice: Escalated) -> Message:
        self.notices.append(notice)
        return _said(f"escalation {notice.escalation.step}: {notice.deadline.key}")


@dataclass
class FakePager:
    """Takes every page (or none, with ``accepting=False``), and keeps them."""

    accepting: bool = True
    pages: list[Page] = field(default_factory=list)

    def trigger(self, page: Page) -> bool:
        self.pages.append(page)
        return self.accepting


@dataclass
class FakeProber:
    """Every target healthy unless listed in ``down``; keeps what it was asked."""

    down: set[str] = field(default_factory=set)
    asked: list[list[str]] = field(default_factory=list)

    def __call__(self, targets: Sequence[str], timeout: float) -> list[ProbeResult]:
        self.asked.append(list(targets))
        return [
            ProbeResult(t, "tcp", t not in self.down, None if t in self.down else 1.0, None, "")
            for t in targets
        ]
