"""Declaring an incident: who may, what it names, its room opened at once and set up after.

``declare`` does what the declarer waits for (the record, the channel, the people, the card);
``set_up`` does the rest once they have their answer: the channel's topic, pin and announcement,
then the rollback advice and the severity's first actions. What fails is told to the declarer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.alerts import Alert
from bot.core.model import Severity
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotADeclarer
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.services.rollback import RollbackAdvisor
from bot.services.rooms import Opening, Rooms
from bot.services.signals import Signals, severity_for

log = logging.getLogger(__name__)
TITLE_LIMIT = 200


@dataclass(frozen=True)
class Declaration:
    """What a declarer asked for. ``services`` None: the catalog's services named in the
    title; ``started_at`` (UTC) None: now; ``request_key`` makes a retried request one incident."""

    user: str
    severity: Severity
    title: str
    services: tuple[str, ...] | None = None
    started_at: datetime | None = None
    description: str = ""
    request_key: str | None = None


@dataclass(frozen=True)
class Declared:
    view: IncidentView
    opening: Opening | None
    """What opening the room did; None when this request had declared it before."""


class DeclaringWording(Protocol):
    def setup_failed(self, problems: list[str]) -> Message:
        """Told privately to the declarer: what failed while setting up the channel."""
        ...


class Declaring:
    def __init__(
        self,
        incidents: IncidentService,
        rooms: Rooms,
        access: Access,
        advisor: RollbackAdvisor,
        signals: Signals,
        playbooks: Playbooks,
        chat: Chat,
        wording: DeclaringWording,
    ) -> None:
        self.incidents = incidents
        self.rooms = rooms
        self.access = access
        self.advisor = advisor
        self.signals = signals
        self.playbooks = playbooks
        self.chat = chat
        self.wording = wording

    def declare(self, asked: Declaration) -> Declared | NotADeclarer:
        """Record the incident and open its room (channel, people, card; or a ticket).

        Raises InvalidStart for a start in the future, StorageUnavailable when nothing could
        be recorded."""
        refused = self.access.may_declare(asked.user)
        if refused is not None:
            return refused
        named = asked.services if asked.services is not None else self.named_in(asked.title)
        declared = self.incidents.declare(
            severity=asked.severity,
            title=asked.title or "Untitled incident",
            by=asked.user,
            services=named,
            started_at=asked.started_at,
            description=asked.description,
            request_key=asked.request_key,
        )
        if not declared.created:
            return Declared(declared.view, None)
        return Declared(declared.view, self.rooms.open(declared.view))

    def declare_from_alert(self, user: str, fingerprint: str) -> Declared | NotADeclarer | None:
        """Declare the incident an alert's Declare button offers; None if the alert is gone."""
        alert = self.signals.alert(fingerprint)
        if alert is None:
            return None
        return self.declare(from_alert(user, alert, self.incidents.clock()))

    def set_up(self, incident_id: int, declarer: str) -> None:
        """Once the declarer has the channel: topic, pin, announcement, rollback advice and
        first actions. Failures are told to the declarer or logged; none is raised."""
        opened = self.incidents.get(incident_id)
        problems = self.rooms.furnish(opened)
        if problems and opened.channel_id is not None:
            try:
                told = self.wording.setup_failed(problems)
                self.chat.ephemeral(opened.channel_id, declarer, told)
            except ChatFailure:
                log.exception("could not tell the declarer", extra={"incident_id": opened.id})
        try:
            self.advisor.advise(opened)
        except ChatFailure:
            log.exception("could not post the rollback advice", extra={"incident_id": opened.id})
        self.signals.first_actions(opened)

    def named_in(self, title: str) -> tuple[str, ...]:
        """The catalog's services whose names are words of ``title``."""
        words = set(title.lower().replace(",", " ").split())
        return tuple(s.name for s in self.playbooks.catalog.services if s.name in words)


def from_alert(user: str, alert: Alert, now: datetime) -> Declaration:
    """The declaration an alert asks for: its name and summary, its service, its start."""
    title = f"{alert.name}: {alert.summary}" if alert.summary != alert.name else alert.name
    return Declaration(
        user,
        severity_for(alert),
        title[:TITLE_LIMIT],
        services=(alert.service,) if alert.service else (),
        started_at=min(alert.starts_at, now),
        request_key=f"alert:{fingerprint_key(alert)}",
    )


def fingerprint_key(alert: Alert) -> str:
    return f"{alert.fingerprint}:{alert.starts_at.isoformat()}"
