"""What the timer tests share: a virtual clock, a recorder standing in for the announcer, and
an incident declared with its room set up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.core.deadlines import Deadline, Escalation
from bot.core.model import Severity
from bot.services.delivery import Delivery, Reach
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from tests.core.timelines import T0

Sessions = sessionmaker[Session]


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@dataclass
class Recorder:
    """Says firings into a list instead of Slack; can be told to fail."""

    said: list[tuple[str, int, str, datetime]] = field(default_factory=list)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    tags: dict[str, str] = field(default_factory=dict)
    # A test's own step before each post (Slack making it wait, or refusing it by raising).
    before_saying: Callable[[IncidentView], None] | None = None

    def _say(
        self, what: str, view: IncidentView, deadline: Deadline, now: datetime, tag: str
    ) -> Delivery:
        if self.before_saying is not None:
            self.before_saying(view)
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("Slack is down")
            self.said.append((what, view.id, deadline.key, now))
            self.tags[tag] = f"message-{len(self.said)}"
            return Delivery(Reach.INCIDENT_CHANNEL, self.tags[tag])

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        return self._say("overdue", view, deadline, now, tag)

    def escalate(
        self,
        view: IncidentView,
        deadline: Deadline,
        escalation: Escalation,
        now: datetime,
        tag: str,
    ) -> Delivery:
        return self._say(f"escalate {escalation.step} {escalation.rung}", view, deadline, now, tag)

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        return self._say("remind", view, deadline, now, tag)

    def already_said(self, view: IncidentView, tag: str) -> str | None:
        with self.lock:
            return self.tags.get(tag)

    def keys(self, what: str | None = None) -> list[str]:
        return [key for kind, _, key, _ in self.said if what in (None, kind)]


def declare(service: IncidentService, severity: Severity = Severity.SEV1) -> int:
    """An incident declared, its room set up (the set-up timer is done)."""
    incident_id = service.declare(severity=severity, title="checkout 500s", by="U0ALICE").view.id
    service.setup_finished(incident_id)
    return incident_id
