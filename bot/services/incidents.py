"""Incident use cases: declare, record what people do, and keep the deadlines current."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import deadlines, status_page, telling, timers
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import AWAITS_TELLING, Deadline
from bot.core.model import Event, EventKind, Incident, Severity
from bot.core.policy import SeverityPolicy
from bot.services.clock import Clock
from bot.services.ports import Conflict, UnitOfWork, UnitsOfWork
from bot.services.read_model import IncidentView
from bot.services.records import BOT, StatusUpdate, StoredIncident, Ticket

log = logging.getLogger(__name__)
R = TypeVar("R")
PLANNED_BY = "timers_planned_by"  # fingerprint of the policies the stored timers came from


@dataclass(frozen=True)
class Declared:
    view: IncidentView
    created: bool
    """False when the same request was seen before (a Slack retry): nothing new was stored."""


@dataclass(frozen=True)
class Changed:
    view: IncidentView
    event: Event
    incident: Incident
    """What the timeline says the incident is, with ``event``."""


class InvalidStart(ValueError):
    """A start time in the future."""


class IncidentService:
    """Declaring incidents and recording what happens to them, each in one unit of work:
    load, decide with the core, plan deadlines and timers, append to the timeline, commit."""

    def __init__(
        self,
        units: UnitsOfWork,
        policies: Mapping[Severity, SeverityPolicy],
        clock: Clock,
        on_settled: Callable[[Deadline], None] | None = None,
        with_channels: Iterable[Severity] = (),
    ) -> None:
        self.units = units
        self.policies = policies
        self.clock = clock
        self.on_settled = on_settled  # told when a deadline turns met or missed (metrics)
        self.with_channels = frozenset(with_channels)  # severities worked in a channel

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
        """Record a new incident, or return the one this ``request_key`` already declared.

        Raises InvalidStart for a start time in the future.
        """
        now = self.clock()
        if started_at is not None and started_at > now:
            raise InvalidStart("the start time is in the future; leave it empty for now")
        extra = {"services": ",".join(sorted(set(services)))}
        if started_at is not None:
            extra["started_at"] = started_at.isoformat()
        declaration = Event(
            1, now, EventKind.DECLARED, by, severity=severity, text=title, extra=extra
        )
        try:
            with self.units() as uow:
                stored = uow.incidents.add(declaration, description, request_key)
                self._owe_setup(uow, stored.id, now, fresh=True)
                view = self.plan(uow, stored, now, fresh=True)
                uow.incidents.append(stored.id, declaration, stored.incident)
                uow.commit()
                return Declared(view, created=True)
        except Conflict:
            # The same request, declared a moment ago by another thread or replica.
            seen = self._declared_by(request_key) if request_key else None
            if seen is None:
                raise
            return seen

    def _declared_by(self, request_key: str) -> Declared | None:
        with self.units() as uow:
            uow.read_only()
            stored = uow.incidents.by_request_key(request_key)
        return None if stored is None else Declared(self._view(stored, self.clock()), False)

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
    ) -> Changed:
        """Append what happened; IllegalTransition if the lifecycle forbids it (nothing stored)."""
        event = self.event(kind, by, severity, subject, next_update, text, extra)
        return self.record_unless(incident_id, event, _never)

    def record_unless(
        self,
        incident_id: int,
        event: Event,
        refuse: Callable[[IncidentView], R | None],
        once: Callable[[IncidentView], str | None] | None = None,
        also: Callable[[UnitOfWork, Changed], None] | None = None,
    ) -> Changed | R:
        """Append ``event`` unless ``refuse`` (a pure rule, asked of the incident as it is
        while it is locked) says why not: two people doing the same thing at once record it
        once. ``once`` names, from the same incident, what may happen only once (a note per
        message, say); the database refuses a second entry with that key, and ``refuse`` is
        then asked again of the incident as the first left it. ``also`` writes what goes with
        the entry, in the same unit of work. IllegalTransition as ``record``; Conflict if a key
        clashed and ``refuse`` still finds nothing to say."""
        try:
            return self._record_unless(incident_id, event, refuse, once, also)
        except Conflict:
            with self.units() as uow:
                uow.read_only()
                now = self._view(uow.incidents.get(incident_id), event.at)
            if (refused := refuse(now)) is not None:
                return refused
            raise

    def _record_unless(
        self,
        incident_id: int,
        event: Event,
        refuse: Callable[[IncidentView], R | None],
        once: Callable[[IncidentView], str | None] | None,
        also: Callable[[UnitOfWork, Changed], None] | None,
    ) -> Changed | R:
        with self.units() as uow:
            before = uow.incidents.get(incident_id, lock=True)
            locked = self._view(before, event.at)
            refused = refuse(locked)
            if refused is not None:
                return refused
            changed = self._apply(uow, before, event)
            if also is not None:
                also(uow, changed)
            key = once(locked) if once else None
            uow.incidents.append(incident_id, changed.event, changed.incident, key)
            uow.commit()
        return changed

    def hold(self, incident_id: int, decide: Callable[[UnitOfWork, IncidentView], R]) -> R:
        """``decide`` on the incident as it is while it is locked, in one unit of work that
        keeps what ``decide`` wrote (a claim, say); nothing goes in its timeline."""
        with self.units() as uow:
            view = self._view(uow.incidents.get(incident_id, lock=True), self.clock())
            decided = decide(uow, view)
            uow.commit()
        return decided

    def event(
        self,
        kind: EventKind,
        by: str,
        severity: Severity | None = None,
        subject: str | None = None,
        next_update: timedelta | None = None,
        text: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Event:
        """An event happening now; its ``seq`` is given when it is appended."""
        return Event(
            0,
            self.clock(),
            kind,
            by,
            severity=severity,
            subject=subject,
            next_update=next_update,
            text=text,
            extra=dict(extra or {}),
        )

    def decide(self, uow: UnitOfWork, incident_id: int, event: Event) -> Changed:
        """Inside the caller's unit of work: lock the incident, apply ``event`` with the core
        (IllegalTransition if it may not happen) and store the deadlines and timers it plans.

        The caller writes what goes with the event, then appends it (``uow.incidents.append``)
        last, under the incident's row lock taken here (it moves the incident's audit chain).
        """
        return self._apply(uow, uow.incidents.get(incident_id, lock=True), event)

    def _apply(self, uow: UnitOfWork, before: StoredIncident, event: Event) -> Changed:
        event = replace(event, seq=len(before.events) + 1)
        after = before.with_event(event)
        # A timer's record of a miss is when the time that passed is stored (pending to missed).
        timed = event.kind in (EventKind.DEADLINE_MISSED, EventKind.DEADLINE_ESCALATED)
        unless = None if timed else deadlines.plan(before.events, self.policies, event.at)
        return Changed(self.plan(uow, after, event.at, unless=unless), event, after.incident)

    def post_status_update(
        self, incident_id: int, update: StatusUpdate, refuse: Callable[[IncidentView], R | None]
    ) -> Changed | R:
        """Record a status update (the event and its parts) unless ``refuse`` (asked of the
        locked incident) says why not; plans the next from ``update.next_update``. The pending
        deadline is met when stakeholders are told of it (``stakeholders_told``)."""
        event = self.event(
            EventKind.STATUS_UPDATE_POSTED,
            update.author,
            next_update=update.next_update,
            text=update.text,
            extra={
                "impact": update.impact,
                "affected": update.affected,
                "action": update.action,
                AWAITS_TELLING: "yes",
            },
        )

        def parts(uow: UnitOfWork, changed: Changed) -> None:
            uow.status_updates.add(incident_id, replace(update, posted_at=changed.event.at))
            self.owe_telling(uow, changed)

        return self.record_unless(incident_id, event, refuse, also=parts)

    def stakeholders_told(self, incident_id: int, entry: int) -> Changed:
        """The status update or resolution with seq ``entry`` reached every stakeholder
        channel: it meets the status-update deadlines opened before it, and nothing is owed
        to stakeholders any more (their timer is done)."""
        event = self.event(EventKind.STAKEHOLDERS_TOLD, BOT, extra={"update": str(entry)})

        def settled(uow: UnitOfWork, changed: Changed) -> None:
            uow.timers.done(incident_id, timers.TELL_KEY, changed.event.at)

        return self.record_unless(incident_id, event, _never, also=settled)

    def stakeholders_not_told(
        self, incident_id: int, entry: int, refused: Iterable[tuple[str, str]]
    ) -> Changed:
        """The entry with seq ``entry`` did not reach the channels in ``refused`` ((channel,
        the chat's error code, e.g. ``not_in_channel``)): owed to them, by a timer that tells
        them again; a status update's deadline stays unmet meanwhile."""
        extra = telling.refusals_extra(entry, refused)
        event = self.event(EventKind.STAKEHOLDERS_NOT_TOLD, BOT, extra=extra)
        return self.record_unless(incident_id, event, _never, also=self.owe_telling)

    def owe_telling(self, uow: UnitOfWork, changed: Changed) -> None:
        """With the entry: stakeholders are owed it until it is recorded told."""
        at = changed.event.at + timers.TELL_GRACE
        uow.timers.arm(changed.view.id, timers.TELL_KEY, timers.Purpose.TELL, at)

    def publish_postmortem(
        self, incident_id: int, url: str, by: str, refuse: Callable[[IncidentView], R | None]
    ) -> Changed | R:
        """Record where the post-mortem was published, unless ``refuse`` (asked of the locked
        incident) says why not; meets the post-mortem deadline."""
        event = self.event(EventKind.POSTMORTEM_PUBLISHED, by, text=url)

        def published(uow: UnitOfWork, changed: Changed) -> None:
            uow.postmortems.published(incident_id, url, by, changed.event.at)

        return self.record_unless(incident_id, event, refuse, also=published)

    def postmortem_drafted(self, incident_id: int, draft: str, at: datetime) -> None:
        """Keep ``draft`` with the incident, replacing an earlier one."""
        with self.units() as uow:
            uow.postmortems.drafted(incident_id, draft, at)
            uow.commit()
        log.info(
            "incident event: postmortem_drafted",
            extra={"incident_id": incident_id, "event": "postmortem_drafted"},
        )

    def status_updates(self, incident_id: int) -> list[StatusUpdate]:
        """The incident's status updates as posted, oldest first."""
        with self.units() as uow:
            uow.read_only()
            return uow.status_updates.for_incident(incident_id)

    def ticket_filed(self, incident_id: int, ticket: Ticket, step: str | None = None) -> None:
        """Keep the incident's ``ticket``, and note set-up ``step`` done with it (one write:
        a crash cannot leave a ticket filed but its step owed, filed again on resume)."""
        with self.units() as uow:
            uow.tickets.add(incident_id, ticket)
            if step is not None:
                uow.incidents.set_up(incident_id, step)
            uow.commit()

    def rooms(self) -> list[tuple[str, str | None, str | None]]:
        """(channel id, channel name, card ts) of every incident that has a channel."""
        with self.units() as uow:
            uow.read_only()
            return uow.incidents.rooms()

    def announcements(self) -> list[str]:
        """The ts of every incident's message in the announcement channel."""
        with self.units() as uow:
            uow.read_only()
            return uow.incidents.announcements()

    def latest_event_at(self) -> datetime | None:
        with self.units() as uow:
            uow.read_only()
            return uow.incidents.latest_event_at()

    def fact(self, key: str) -> str | None:
        """A fact the bot keeps about itself (``put_fact``)."""
        with self.units() as uow:
            uow.read_only()
            return uow.facts.get(key)

    def put_fact(self, key: str, value: str) -> None:
        with self.units() as uow:
            uow.facts.put(key, value, self.clock())
            uow.commit()

    def attach_channel(self, incident_id: int, channel_id: str, name: str) -> None:
        with self.units() as uow:
            uow.incidents.attach_channel(incident_id, channel_id, name)
            uow.commit()

    def attach_announcement(self, incident_id: int, ts: str) -> None:
        self.note_setup(incident_id, announcement_ts=ts)

    def announcement_ts(self, incident_id: int) -> str | None:
        """The incident's message in the announcement channel as stored now (None: not yet
        noted): cheaper than ``get`` when that is all a caller needs."""
        with self.units() as uow:
            uow.read_only()
            return uow.incidents.announcement_ts(incident_id)

    def set_up(self, incident_id: int, step: str) -> None:
        """Note set-up step ``step`` of the incident's room done."""
        self.note_setup(incident_id, [step])

    def setup_finished(self, incident_id: int) -> None:
        """The incident's room is set up: its set-up timer will not fire."""
        self.note_setup(incident_id, finished=True)

    def note_setup(
        self,
        incident_id: int,
        steps: Iterable[str] = (),
        *,
        card_ts: str | None = None,
        announcement_ts: str | None = None,
        finished: bool = False,
        event: Event | None = None,
    ) -> None:
        """Note in one transaction what a stage of setting up the room did: the set-up
        ``steps`` done, the ts of the card and of the announcement (Slack message ids) if
        posted, ``event`` (one the stage posted, its rollback advice) in the timeline, and,
        when ``finished``, that it is set up (its set-up timer will not fire). One write for a
        stage, not one per step: under a burst every write waits its turn. Raises
        StorageUnavailable."""
        with self.units() as uow:
            if event is not None:
                changed = self._apply(uow, uow.incidents.get(incident_id, lock=True), event)
                uow.incidents.append(incident_id, changed.event, changed.incident)
            if steps := list(steps):
                uow.incidents.set_up(incident_id, *steps)
            if card_ts is not None:
                uow.incidents.attach_card(incident_id, card_ts)
            if announcement_ts is not None:
                uow.incidents.attach_announcement(incident_id, announcement_ts)
            if finished:
                uow.timers.done(incident_id, timers.SETUP_KEY, self.clock())
            uow.commit()

    def get(self, incident_id: int, now: datetime | None = None) -> IncidentView:
        with self.units() as uow:
            uow.read_only()
            stored = uow.incidents.get(incident_id)
        return self._view(stored, now or self.clock())

    def get_many(self, incident_ids: Collection[int], now: datetime) -> dict[int, IncidentView]:
        """The incidents ``incident_ids`` names, as of ``now``, by id (those that do not
        exist left out): one read, two statements, however many. Raises
        StorageUnavailable."""
        with self.units() as uow:
            uow.read_only()
            stored = uow.incidents.many(incident_ids)
        return {incident.id: self._view(incident, now) for incident in stored}

    def in_channel(self, channel_id: str) -> IncidentView | None:
        with self.units() as uow:
            uow.read_only()
            stored = uow.incidents.by_channel(channel_id)
        return self._view(stored, self.clock()) if stored else None

    def open_counts(self) -> dict[str, int]:
        """Open incidents by severity, every severity listed."""
        with self.units() as uow:
            uow.read_only()
            counts = uow.incidents.open_counts()
        return {str(severity): counts.get(str(severity), 0) for severity in Severity}

    def open_listed(self, first: int) -> tuple[list[IncidentView], int]:
        """The ``first`` open incidents (by id) and how many are open: what a list shows costs
        what it shows, however many are open."""
        now = self.clock()
        with self.units() as uow:
            uow.read_only()
            found = uow.incidents.open(first=first)
            total = uow.incidents.count_open()
        return [self._view(stored, now) for stored in found], total

    def open_incidents(self, services: Collection[str] | None = None) -> list[IncidentView]:
        """Every open incident, or only those affecting any of ``services`` (their deadlines
        planned only for those: an alert or a deploy costs what it touches, not every open
        incident)."""
        now = self.clock()
        with self.units() as uow:
            uow.read_only()
            found = uow.incidents.open(services)
        return [self._view(stored, now) for stored in found]

    def resync_services(self) -> int:
        """Index by service every open incident a bot one migration behind declared or
        renamed (it does not write ``incident_services``): run at start-up; returns how
        many were fixed. Raises StorageUnavailable."""
        with self.units() as uow:
            fixed = uow.incidents.resync_services()
            uow.commit()
        if fixed:
            log.warning("indexed open incidents by service", extra={"incidents": fixed})
        return fixed

    def reconcile(self) -> int:
        """Recompute every active incident's timers if the playbooks changed; returns how many.

        Run at start-up, so a playbook edited while the bot was down applies at once. Timers are
        planned when events happen, so with unchanged playbooks there is nothing to redo. One
        incident that fails is logged and skipped; the rest still get their clocks.
        """
        fingerprint = _fingerprint(self.policies)
        with self.units() as uow:
            uow.read_only()
            if uow.facts.get(PLANNED_BY) == fingerprint:
                return 0
            active = uow.incidents.active_ids()
        for incident_id in active:
            try:
                self.refresh(incident_id)
            except Exception:
                log.exception("could not reconcile incident", extra={"incident_id": incident_id})
        with self.units() as uow:
            uow.facts.put(PLANNED_BY, fingerprint, self.clock())
            uow.commit()
        return len(active)

    def refresh(self, incident_id: int) -> IncidentView:
        """Recompute the incident's deadlines and timers (at start-up, after a playbook change)."""
        with self.units() as uow:
            view = self.plan(uow, uow.incidents.get(incident_id), self.clock())
            uow.commit()
        return view

    def plan(
        self,
        uow: UnitOfWork,
        stored: StoredIncident,
        now: datetime,
        fresh: bool = False,
        unless: tuple[Deadline, ...] | None = None,
    ) -> IncidentView:
        """The incident as of ``now``, its deadlines and timers stored as the core plans them
        (``fresh``: it was added in ``uow``, so none are stored yet). Not stored when they are
        ``unless``, the plan at ``now`` without its newest event: an event that moves no
        deadline (a note, a pin, the rollback advice) leaves them as the last one that did,
        as when no event comes (a deadline's miss is stored when its timer records it, which
        ``_apply`` never skips)."""
        view = self._view(stored, now)
        if not fresh and view.severity in self.with_channels and view.channel_id is None:
            # A Sev3 escalated, a channel never made: owed now (a pending set-up keeps its
            # time; a new declaration's was armed by ``declare`` with the incident).
            uow.timers.arm(view.id, timers.SETUP_KEY, timers.Purpose.SETUP, now)
        page = status_page.page_incident(view.events)
        if not view.is_open and page is not None and page.is_open:
            # Its page incident's resolution is owed, with the resolution that owes it.
            at = now + timers.PAGE_GRACE
            uow.timers.arm(view.id, timers.PAGE_KEY, timers.Purpose.PAGE, at)
        if _named_services_with_unfiled_follow_ups(view):
            # The services just named may file follow-ups in a tracker: the tracker timer asks.
            at = now + timers.TRACKER_GRACE
            uow.timers.arm(view.id, timers.TRACKER_KEY, timers.Purpose.TRACKER, at, fresh=fresh)
        if unless is not None and view.deadlines == unless:
            return view
        changed = uow.deadlines.sync(view.id, view.deadlines, fresh)
        if self.on_settled is not None:
            for deadline in changed:
                if deadline.status in (DeadlineStatus.MET, DeadlineStatus.MISSED):
                    self.on_settled(deadline)
        uow.timers.sync(view.id, timers.wanted(view.deadlines), fresh)
        return view

    def _owe_setup(
        self, uow: UnitOfWork, incident_id: int, now: datetime, fresh: bool = False
    ) -> None:
        """Setting up the incident's room is owed: recorded with what makes it owed, so a
        timer finishes it if the request that owes it does not (a crash, Slack failing)."""
        at = now + timers.SETUP_GRACE
        uow.timers.arm(incident_id, timers.SETUP_KEY, timers.Purpose.SETUP, at, fresh=fresh)

    def _view(self, stored: StoredIncident, now: datetime) -> IncidentView:
        planned = deadlines.plan(stored.events, self.policies, now)
        return IncidentView.of(stored, planned, now)


def _named_services_with_unfiled_follow_ups(view: IncidentView) -> bool:
    last = view.events[-1] if view.events else None
    return (
        last is not None
        and last.kind is EventKind.SERVICES_CHANGED
        and any(f.is_open and f.link is None for f in view.follow_ups)
    )


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


def _never(_incident: IncidentView) -> None:
    """A rule that refuses nothing."""
    return None
