"""Declaring an incident: who may, what it names, its room opened at once and set up after.

``declare`` does what the declarer waits for (the record, the channel, the people, the card);
``set_up`` does the rest once they have their answer: the channel's topic, pin and announcement,
then the rollback advice and the severity's first actions. What fails is told to the declarer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.core import bidi
from bot.core.alerts import Alert
from bot.core.model import Event, Severity
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotADeclarer
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.incidents import IncidentService
from bot.services.ports import StorageUnavailable
from bot.services.read_model import IncidentView
from bot.services.rollback import RollbackAdvisor
from bot.services.rooms import Opening, Rooms, Step
from bot.services.signals import Signals, severity_for
from bot.services.status_page import StatusPages

log = logging.getLogger(__name__)
TITLE_LIMIT = 200
DATABASE_LOST = (
    "The incident is recorded, but the database went away while I set up its room; I finish "
    "it as soon as the database is back. Do not declare it again."
)


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
        """Told privately to the declarer: what failed while setting up the channel, and that
        it will be tried again."""
        ...

    def setup_finished(self, view: IncidentView) -> Message:
        """Told privately to the declarer once a set-up that had failed is done after all."""
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
        status_pages: StatusPages | None = None,
    ) -> None:
        self.incidents = incidents
        self.rooms = rooms
        self.access = access
        self.advisor = advisor
        self.signals = signals
        self.playbooks = playbooks
        self.chat = chat
        self.wording = wording
        self.status_pages = status_pages  # offers (or opens) the status page incident

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
        try:
            opening = self.rooms.open(declared.view)
        except StorageUnavailable as outage:
            # Declared, and its set-up is owed in the database: it is finished once it is back.
            log.warning("database lost while opening the room", extra={"error": str(outage)})
            opening = Opening(problems=[DATABASE_LOST])
        if opening.channel_id is None and not opening.problems:
            self.incidents.setup_finished(declared.view.id)
        return Declared(declared.view, opening)

    def declare_from_alert(self, user: str, fingerprint: str) -> Declared | NotADeclarer | None:
        """Declare the incident an alert's Declare button offers; None if the alert is gone."""
        alert = self.signals.alert(fingerprint)
        if alert is None:
            return None
        return self.declare(from_alert(user, alert, self.incidents.clock()))

    def set_up(self, incident_id: int, declarer: str) -> None:
        """Once the declarer has the channel: topic, pin, announcement, rollback advice and
        first actions. Failures are told to the declarer (the set-up timer tries them again,
        ``resume``) or logged; none is raised."""
        opened = self.incidents.get(incident_id)
        furnished = self.rooms.furnished(opened)
        if furnished.problems and opened.channel_id is not None:
            self._tell(opened, self.wording.setup_failed(furnished.problems))
        acted, advice = self._first_actions(opened)
        # As noted now, without reading it again: steps only accumulate, and only the set-up
        # timer (not due before SETUP_GRACE) notes any meanwhile; a step it noted that this
        # view misses leaves the set-up unfinished, and the timer then finds nothing to do.
        noted = replace(opened, setup=opened.setup | furnished.done)
        self._note_first_actions(noted, acted, advice)

    def resume(self, incident_id: int) -> bool:
        """Finish setting up the incident's room, as its set-up timer does after a crash or a
        failure: only the steps left, looking in the chat first for what a step may have
        made without noting it. True once it is set up (the declarer is told, if it took
        this). Raises StorageUnavailable."""
        view = self.incidents.get(incident_id)
        if not self.rooms.left_to_do(view):
            return True
        if not view.is_open:
            log.info("set-up left undone: the incident ended", extra={"incident_id": view.id})
            return True  # a room for an incident that is over helps no one
        had_channel = view.channel_id is not None
        self.rooms.open(view, resuming=True)
        view = self.incidents.get(incident_id)
        if view.channel_id is not None and not had_channel:
            self.rooms.refresh_card(view)  # the announcement made without it now links it
        self.rooms.furnish(view)  # it looks in the chat before announcing, as resuming does
        view = self.incidents.get(incident_id)
        acted, advice = self._first_actions(view)
        if acted or advice is not None:
            self.incidents.note_setup(view.id, [Step.FIRST_ACTIONS] if acted else [], event=advice)
        view = self.incidents.get(incident_id)
        if self.rooms.left_to_do(view):
            return False
        self._tell(view, self.wording.setup_finished(view))
        return True

    def _first_actions(self, view: IncidentView) -> tuple[bool, Event | None]:
        """The rollback advice, the playbook's first actions and the status page's offer,
        once: whether they were all posted now, and the advice's event if it was posted (for
        the caller to note, in one write)."""
        if view.channel_id is None or Step.FIRST_ACTIONS in view.setup:
            return False, None
        try:
            advice = self.advisor.advice(view)
        except ChatFailure:
            log.exception("could not post the rollback advice", extra={"incident_id": view.id})
            return False, None
        if not self.signals.first_actions(view):
            return False, advice
        if self.status_pages is not None:
            self.status_pages.at_declaration(view)
        return True, advice

    def _note_first_actions(self, view: IncidentView, acted: bool, advice: Event | None) -> None:
        """Note the advice posted, the first actions posted (if ``acted``) and, when nothing
        else is left to do, the room set up: in one write."""
        left = self.rooms.left_to_do(view) - ({Step.FIRST_ACTIONS} if acted else set())
        if acted or not left or advice is not None:
            steps = [Step.FIRST_ACTIONS] if acted else []
            self.incidents.note_setup(view.id, steps, finished=not left, event=advice)

    def _tell(self, view: IncidentView, message: Message) -> None:
        """The declarer, privately: in the incident's channel, else a direct message."""
        try:
            if view.channel_id is not None:
                self.chat.ephemeral(view.channel_id, view.declared_by, message)
            else:
                self.chat.post(view.declared_by, message)
        except ChatFailure:
            log.exception("could not tell the declarer", extra={"incident_id": view.id})

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
        _shortened(bidi.closed(title), TITLE_LIMIT),
        services=(alert.service,) if alert.service else (),
        started_at=min(alert.starts_at, now),
        request_key=f"alert:{fingerprint_key(alert)}",
    )


def _shortened(title: str, limit: int) -> str:
    """``title`` (an alert's plain words) within ``limit``: whole, or cut after its last whole
    word that fits, with "…" (a single word too long is cut where it must be)."""
    if len(title) <= limit:
        return title
    kept = title[: limit - 1]
    if not title[limit - 1].isspace() and " " in kept:
        kept = kept.rsplit(" ", 1)[0]
    return bidi.cut_closed(kept.rstrip()) + "…"


def fingerprint_key(alert: Alert) -> str:
    return f"{alert.fingerprint}:{alert.starts_at.isoformat()}"
