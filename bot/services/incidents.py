"""Incident use cases: declare, record what people do, and keep the deadlines current."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.core import deadlines, timers
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import Deadline
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import SeverityPolicy
from bot.db.deadlines import Deadlines
from bot.db.incidents import Incidents, StoredIncident
from bot.db.state import State
from bot.db.timers import Timers
from bot.services.clock import Clock

log = logging.getLogger(__name__)
PLANNED_BY = "timers_planned_by"  # fingerprint of the policies the stored timers came from


@dataclass(frozen=True)
class IncidentView:
    """An incident with its timeline and its deadlines as of ``now``."""

    stored: StoredIncident
    events: tuple[Event, ...]
    deadlines: tuple[Deadline, ...]
    now: datetime

    @property
    def id(self) -> int:
        return self.stored.id

    @property
    def next_deadline(self) -> Deadline | None:
        return deadlines.next_due(self.deadlines)


@dataclass(frozen=True)
class Declared:
    view: IncidentView
    created: bool
    """False when the same request was seen before (a Slack retry): nothing new was stored."""


@dataclass(frozen=True)
class Changed:
    view: IncidentView
    event: Event


class InvalidStart(ValueError):
    """A start time in the future."""


class IncidentService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        policies: Mapping[Severity, SeverityPolicy],
        clock: Clock,
        on_settled: Callable[[Deadline], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.policies = policies
        self.clock = clock
        self.on_settled = on_settled  # told when a deadline turns met or missed

    def declare(
        self,
        *,
        severity: Severity,
        title: str,
        by: str,
        services: Iterable[str] = (),
        started_at: datetime | None = None,
        description: str = "",
        request_key: str | None = None,
    ) -> Declared:
        """Record a new incident, or return the one this ``request_key`` already declared."""
        now = self.clock()
        if started_at is not None and started_at > now:
            raise InvalidStart("the start time is in the future; leave it empty for now")
        extra = {"services": ",".join(sorted(set(services)))}
        if started_at is not None:
            extra["started_at"] = started_at.isoformat()
        declaration = Event(
            1, now, EventKind.DECLARED, by, severity=severity, text=title, extra=extra
        )
        if request_key is not None and (seen := self._declared_by(request_key)) is not None:
            return seen
        try:
            views: list[IncidentView] = []
            with self.sessions.begin() as session:
                Incidents(session).declare(
                    declaration,
                    description,
                    request_key,
                    before_append=lambda new: views.append(
                        self._sync(session, self._view(new, now))
                    ),
                )
                return Declared(views[0], created=True)
        except IntegrityError:
            # The same request, declared a moment ago by another thread or replica.
            seen = self._declared_by(request_key) if request_key else None
            if seen is None:
                raise
            return seen

    def _declared_by(self, request_key: str) -> Declared | None:
        with self.sessions() as session:
            stored = Incidents(session).by_request_key(request_key)
            if stored is None:
                return None
            return Declared(self._view(stored, self.clock()), created=False)

    def record(
        self,
        incident_id: int,
        kind: EventKind,
        by: str,
        *,
        severity: Severity | None = None,
        subject: str | None = None,
        next_update: timedelta | None = None,
        text: str | None = None,
        extra: Mapping[str, str] | None = None,
        alongside: Callable[[Session], object] | None = None,
    ) -> Changed:
        """Append what happened; IllegalTransition if the lifecycle forbids it (nothing stored).

        ``alongside`` runs in the same transaction (a timer closed with the event it records);
        if it raises, neither is stored.
        """
        now = self.clock()
        event = Event(
            0,
            now,
            kind,
            by,
            severity=severity,
            subject=subject,
            next_update=next_update,
            text=text,
            extra=dict(extra or {}),
        )
        views: list[IncidentView] = []
        with self.sessions.begin() as session:
            plan = self._planning(session, now, views)

            def settle(after: StoredIncident) -> None:
                if alongside is not None:
                    alongside(session)
                plan(after)

            stored_event, _ = Incidents(session).record(incident_id, event, before_append=settle)
            return Changed(views[0], stored_event)

    def attach_channel(self, incident_id: int, channel_id: str, name: str) -> None:
        with self.sessions.begin() as session:
            Incidents(session).attach_channel(incident_id, channel_id, name)

    def attach_card(self, incident_id: int, card_ts: str) -> None:
        with self.sessions.begin() as session:
            Incidents(session).attach_card(incident_id, card_ts)

    def get(self, incident_id: int, now: datetime | None = None) -> IncidentView:
        with self.sessions() as session:
            return self._view(Incidents(session).get(incident_id), now or self.clock())

    def in_channel(self, channel_id: str) -> IncidentView | None:
        with self.sessions() as session:
            stored = Incidents(session).by_channel(channel_id)
            return self._view(stored, self.clock()) if stored else None

    def open_counts(self) -> dict[str, int]:
        """Open incidents by severity, every severity listed."""
        with self.sessions() as session:
            counts = Incidents(session).open_counts()
        return {str(severity): counts.get(str(severity), 0) for severity in Severity}

    def open_incidents(self) -> list[IncidentView]:
        now = self.clock()
        with self.sessions() as session:
            return [self._view(s, now) for s in Incidents(session).open()]

    def reconcile(self) -> int:
        """Recompute every active incident's timers if the playbooks changed; returns how many.

        Run at start-up, so a playbook edited while the bot was down applies at once. Timers are
        planned when events happen, so with unchanged playbooks there is nothing to redo. One
        incident that fails is logged and skipped; the rest still get their clocks.
        """
        fingerprint = _fingerprint(self.policies)
        with self.sessions() as session:
            if State(session).get(PLANNED_BY) == fingerprint:
                return 0
            active = Incidents(session).active_ids()
        for incident_id in active:
            try:
                self.refresh(incident_id)
            except Exception:
                log.exception("could not reconcile incident", extra={"incident_id": incident_id})
        with self.sessions.begin() as session:
            State(session).put(PLANNED_BY, fingerprint, self.clock())
        return len(active)

    def refresh(self, incident_id: int) -> IncidentView:
        """Recompute the incident's deadlines and timers (at start-up, after a playbook change)."""
        with self.sessions.begin() as session:
            return self._refresh(session, incident_id, self.clock())

    def _refresh(self, session: Session, incident_id: int, now: datetime) -> IncidentView:
        return self._sync(session, self._view(Incidents(session).get(incident_id), now))

    def _planning(
        self, session: Session, now: datetime, views: list[IncidentView]
    ) -> Callable[[StoredIncident], None]:
        """Plans and stores the deadlines and timers of an incident as it is about to be."""

        def plan(after: StoredIncident) -> None:
            views.append(self._sync(session, self._view(after, now)))

        return plan

    def _sync(self, session: Session, view: IncidentView) -> IncidentView:
        """Store the deadlines and timers ``view`` plans."""
        incident_id = view.id
        changed = Deadlines(session).sync(incident_id, view.deadlines)
        if self.on_settled is not None:
            for deadline in changed:
                if deadline.status in (DeadlineStatus.MET, DeadlineStatus.MISSED):
                    self.on_settled(deadline)
        Timers(session).sync(incident_id, timers.wanted(view.deadlines))
        return view

    def _view(self, stored: StoredIncident, now: datetime) -> IncidentView:
        planned = deadlines.plan(stored.events, self.policies, now)
        return IncidentView(stored, stored.events, planned, now)


def _fingerprint(policies: Mapping[Severity, SeverityPolicy]) -> str:
    """A digest of the policies that is the same in every process (sets sorted, no hashing)."""

    def plain(value: object) -> object:
        if isinstance(value, frozenset | set):
            return sorted(str(item) for item in value)
        if isinstance(value, timedelta):
            return value.total_seconds()
        return str(value)

    canonical = {str(severity): asdict(policy) for severity, policy in policies.items()}
    text = json.dumps(canonical, sort_keys=True, default=plain)
    return hashlib.sha256(text.encode()).hexdigest()
