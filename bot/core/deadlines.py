"""Every protocol deadline of an incident, computed from its timeline, its playbook and ``now``.

A deadline is opened by an event (the declaration, a severity change, a status update, the
resolution), met by a later observable event (a status update's deadline by an update reaching
every stakeholder channel, ``STAKEHOLDERS_TOLD``, not by its being typed), and cancelled when the
incident moves on (a severity change replaces the pending ones; resolution ends the response and
update clocks). A deadline whose
due time passed unmet is missed for good; if it is met later, ``met_at`` records how late.

Once its miss is recorded, a deadline still unmet is escalated again as the playbook's
``EscalationRule`` says, each escalation recorded too, until it is met, replaced or the incident
is closed: ``Deadline.next_escalation`` is the next one, computed from those records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import follow_ups
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.core.follow_ups import FollowUp
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import EscalationRule, Policies, ResponseRule, Rung, SeverityPolicy

AWAITS_TELLING = "awaits_telling"
"""Marks a status update whose deadline is met when stakeholders are told of it, not when it is
recorded (updates recorded before this rule had no such mark, and met theirs at once)."""


@dataclass(frozen=True)
class Escalation:
    """The ``step``-th escalation of a missed deadline (1 for the first after the miss), due
    ``at``, reaching ``rung``."""

    step: int
    rung: Rung
    at: datetime


@dataclass(frozen=True)
class Deadline:
    """One deadline. ``key`` is stable across recomputations: kind and the opening event's seq."""

    key: str
    kind: DeadlineKind
    severity: Severity
    opened_at: datetime
    due_at: datetime
    status: DeadlineStatus
    met_at: datetime | None = None
    cancelled_at: datetime | None = None
    reminders: tuple[datetime, ...] = ()
    escalated: int = 0
    """Escalations recorded since the miss."""
    next_escalation: Escalation | None = None
    """The next escalation, while the deadline is missed, unmet and still the incident's."""
    follow_up: int | None = None
    """The follow-up (its number) a FOLLOW_UP deadline is for."""
    owner: str | None = None
    """Whom its notices address first, when not the incident's commander (a follow-up's
    owner)."""

    @property
    def late_by(self) -> timedelta | None:
        """How late it was met, for a deadline met after its due time."""
        if self.met_at is None or self.met_at <= self.due_at:
            return None
        return self.met_at - self.due_at


@dataclass
class _Open:
    """A deadline still waiting for the event that meets it, while the timeline is replayed."""

    key: str
    kind: DeadlineKind
    severity: Severity
    opened_at: datetime
    due_at: datetime
    reminders: tuple[datetime, ...]
    opened_by: int
    """The seq of the event that opened it."""
    escalation: EscalationRule | None = None
    met_at: datetime | None = None
    cancelled_at: datetime | None = None
    missed_noted_at: datetime | None = None  # when the miss was recorded
    escalated_at: list[datetime] = field(default_factory=list)
    follow_up: int | None = None
    owner: str | None = None


class _Planner:
    def __init__(self, policies: Policies) -> None:
        self.policies = policies
        self.all: list[_Open] = []
        self.commander: str | None = None
        self.participants: dict[EventKind, set[str]] = {}
        self.severity: Severity | None = None
        self.closed_at: datetime | None = None
        self.follow_ups = 0
        self.updates: set[int] = set()  # the seqs of status updates

    def open(
        self, kind: DeadlineKind, event: Event, within: timedelta, leads: Iterable[timedelta]
    ) -> _Open:
        assert self.severity is not None
        due = event.at + within
        reminders = tuple(sorted(due - lead for lead in set(leads) if due - lead > event.at))
        escalation = self.policy.escalation_for(kind)
        deadline = _Open(
            f"{kind}@{event.seq}",
            kind,
            self.severity,
            event.at,
            due,
            reminders,
            event.seq,
            escalation,
        )
        self.all.append(deadline)
        return deadline

    def waiting(self, *kinds: DeadlineKind) -> Iterator[_Open]:
        for deadline in self.all:
            if deadline.kind in kinds and deadline.met_at is None and deadline.cancelled_at is None:
                yield deadline

    def cancel(self, at: datetime, *kinds: DeadlineKind) -> None:
        for deadline in self.waiting(*kinds):
            deadline.cancelled_at = at

    def meet(self, at: datetime, *kinds: DeadlineKind) -> None:
        for deadline in self.waiting(*kinds):
            deadline.met_at = at

    @property
    def policy(self) -> SeverityPolicy:
        assert self.severity is not None
        return self.policies[self.severity]

    def start_clocks(self, event: Event) -> None:
        """Open the severity's first deadlines, counted from ``event``."""
        response = self.policy.response
        if response is not None:
            self.open(response.kind, event, response.within, response.reminders)
            self.check_response(event.at)
        self.open_status_update(event, None)

    def open_status_update(self, event: Event, promised: timedelta | None) -> None:
        rule = self.policy.status_updates
        if rule is None:
            return
        within = promised if promised is not None else rule.first_within
        self.open(DeadlineKind.STATUS_UPDATE, event, within, rule.reminders)

    def check_response(self, at: datetime) -> None:
        rule = self.policy.response
        if rule is not None and self.assembled(rule):
            self.meet(at, rule.kind)

    def assembled(self, rule: ResponseRule) -> bool:
        if rule.commander_required and self.commander is None:
            return False
        people = set().union(*(self.participants.get(kind, set()) for kind in rule.counted))
        if self.commander is not None:
            people.add(self.commander)
        return len(people) >= rule.responders

    def apply(self, event: Event) -> None:
        match event.kind:
            case EventKind.DECLARED:
                self.severity = event.severity
                self.start_clocks(event)
            case EventKind.SEVERITY_CHANGED:
                self.cancel(event.at, DeadlineKind.ASSEMBLE, DeadlineKind.RESPOND)
                self.cancel(event.at, DeadlineKind.STATUS_UPDATE)
                self.severity = event.severity
                self.start_clocks(event)
            case EventKind.COMMANDER_ASSIGNED:
                self.commander = event.subject
                self.check_response(event.at)
            case EventKind.ACKNOWLEDGED | EventKind.JOINED:
                self.participants.setdefault(event.kind, set()).add(event.actor)
                self.check_response(event.at)
            case EventKind.STATUS_UPDATE_POSTED:
                self.updates.add(event.seq)
                if event.extra.get(AWAITS_TELLING) is None:  # recorded before telling counted
                    self.meet(event.at, DeadlineKind.STATUS_UPDATE)
                self.open_status_update(event, event.next_update)
            case EventKind.STAKEHOLDERS_TOLD:
                update = int(event.extra.get("update", "0"))
                if update not in self.updates:
                    return  # a change they were told of meets no status-update deadline
                for deadline in self.waiting(DeadlineKind.STATUS_UPDATE):
                    if deadline.opened_by < update:
                        deadline.met_at = event.at
            case EventKind.RESOLVED:
                self.cancel(event.at, DeadlineKind.ASSEMBLE, DeadlineKind.RESPOND)
                self.cancel(event.at, DeadlineKind.STATUS_UPDATE)
                rule = self.policy.postmortem
                if rule is not None:
                    self.open(DeadlineKind.POSTMORTEM, event, rule.after_resolution, rule.reminders)
            case EventKind.REOPENED:
                self.cancel(event.at, DeadlineKind.POSTMORTEM)
                self.open_status_update(event, None)
            case EventKind.POSTMORTEM_PUBLISHED:
                self.meet(event.at, DeadlineKind.POSTMORTEM)
            case EventKind.CLOSED:
                self.closed_at = event.at
            case EventKind.DEADLINE_MISSED:
                if (missed := self.find(event)) is not None and missed.missed_noted_at is None:
                    missed.missed_noted_at = event.at
                    unmet = missed.met_at is None and missed.cancelled_at is None
                    if unmet and "due_at" in event.extra:
                        # the due time it missed, not today's playbook's (one relaxed since)
                        missed.due_at = datetime.fromisoformat(event.extra["due_at"])
            case EventKind.DEADLINE_ESCALATED:
                if (escalated := self.find(event)) is not None:
                    escalated.escalated_at.append(event.at)
            case EventKind.FOLLOW_UP_ADDED:
                self.follow_ups += 1
                self.open_follow_up(event, self.follow_ups, follow_ups.added(event, 0))
            case (
                EventKind.FOLLOW_UP_CHANGED | EventKind.FOLLOW_UP_DONE | EventKind.FOLLOW_UP_DROPPED
            ):
                self.follow_up_moved(event)
        if event.kind is EventKind.REOPENED:
            self.closed_at = None

    def open_follow_up(self, event: Event, number: int, follow_up: FollowUp) -> None:
        rule = self.policy.follow_ups
        due = follow_up.due_at
        reminders = tuple(sorted(due - lead for lead in rule.reminders if due - lead > event.at))
        if rule.reminders and not reminders and due - event.at >= SOON_REMINDED:
            # due sooner than any lead time: its owner is reminded halfway there instead
            reminders = (event.at + (due - event.at) / 2,)
        self.all.append(
            _Open(
                f"{DeadlineKind.FOLLOW_UP}@{event.seq}",
                DeadlineKind.FOLLOW_UP,
                self.policy.severity,
                event.at,
                due,
                reminders,
                event.seq,
                rule.escalation,
                follow_up=number,
                owner=follow_up.owner,
            )
        )

    def follow_up_moved(self, event: Event) -> None:
        """A follow-up edited (a new due date replaces its deadline), done or dropped."""
        number = follow_ups.number_of(event)
        for deadline in self.waiting(DeadlineKind.FOLLOW_UP):
            if deadline.follow_up != number:
                continue
            if event.kind is EventKind.FOLLOW_UP_DONE:
                deadline.met_at = follow_ups.done_at(event)  # the tracker's close time
            elif event.kind is EventKind.FOLLOW_UP_DROPPED:
                deadline.cancelled_at = event.at
            elif "due" in event.extra:
                deadline.cancelled_at = event.at
                owner = event.extra.get("owner", deadline.owner or event.actor)
                due = datetime.fromisoformat(event.extra["due"])
                moved = FollowUp(number, "", owner, due, event.at, event.actor)
                self.open_follow_up(event, number, moved)
            elif "owner" in event.extra:
                deadline.owner = event.extra["owner"]
            return

    def find(self, event: Event) -> _Open | None:
        """The deadline a timer's event (a miss, an escalation) is about."""
        key = event.extra.get("deadline")
        return next((d for d in self.all if d.key == key), None)


SOON_REMINDED = timedelta(hours=2)
"""A follow-up due sooner than every ``remind_before`` but at least this far off is reminded
halfway to its due time (one due sooner still: its overdue notice is the first word)."""


def plan(events: Iterable[Event], policies: Policies, now: datetime) -> tuple[Deadline, ...]:
    """All deadlines the timeline has opened so far, as they stand at ``now``.

    Events after ``now`` are not seen yet, so asking again later never turns a met deadline into
    a missed one.
    """
    planner = _Planner(policies)
    for event in sorted(events, key=lambda e: e.seq):
        if event.at <= now:
            planner.apply(event)
    return tuple(_settle(deadline, now, planner.closed_at) for deadline in planner.all)


def _settle(deadline: _Open, now: datetime, closed_at: datetime | None) -> Deadline:
    met_at, cancelled_at, noted = deadline.met_at, deadline.cancelled_at, deadline.missed_noted_at
    # A miss the timeline recorded while the deadline was unmet stays a miss, whatever the
    # playbooks say now (a deadline relaxed later does not make it met).
    missed_for_good = noted is not None and all(
        t is None or t > noted for t in (met_at, cancelled_at)
    )
    if met_at is not None and met_at <= deadline.due_at and not missed_for_good:
        status = DeadlineStatus.MET
    elif missed_for_good or deadline.due_at < min(now, cancelled_at or now, met_at or now):
        status = DeadlineStatus.MISSED
    elif cancelled_at is not None:
        status = DeadlineStatus.CANCELLED
    else:
        status = DeadlineStatus.PENDING
    return Deadline(
        key=deadline.key,
        kind=deadline.kind,
        severity=deadline.severity,
        opened_at=deadline.opened_at,
        due_at=deadline.due_at,
        status=status,
        met_at=met_at,
        cancelled_at=cancelled_at,
        reminders=deadline.reminders,
        escalated=len(deadline.escalated_at),
        next_escalation=(
            _next_escalation(deadline)
            if status is DeadlineStatus.MISSED
            and met_at is None
            and cancelled_at is None
            and (closed_at is None or deadline.kind is DeadlineKind.FOLLOW_UP)
            else None
        ),
        follow_up=deadline.follow_up,
        owner=deadline.owner,
    )


def _next_escalation(deadline: _Open) -> Escalation | None:
    """The first point of the rule's grid (due time + n x every) after the last record of the
    miss or an escalation: a bot that was down escalates once on its return, not once for
    every step it slept through."""
    rule, noted = deadline.escalation, deadline.missed_noted_at
    if rule is None or noted is None:
        return None
    last = deadline.escalated_at[-1] if deadline.escalated_at else noted
    return escalation_after(rule, deadline.due_at, len(deadline.escalated_at) + 1, last)


def escalation_after(
    rule: EscalationRule, due_at: datetime, step: int, after: datetime
) -> Escalation:
    """Escalation ``step`` of a deadline due at ``due_at``, at the first point of the rule's grid
    (``due_at`` + n x ``rule.every``, n >= 1) later than ``after``."""
    n = max(1, (after - due_at) // rule.every + 1)
    return Escalation(step, rule.rung(step), due_at + n * rule.every)


def pending(deadlines: Iterable[Deadline]) -> tuple[Deadline, ...]:
    return tuple(d for d in deadlines if d.status is DeadlineStatus.PENDING)


def next_due(deadlines: Iterable[Deadline]) -> Deadline | None:
    """The pending deadline that falls due first, if any."""
    return min(pending(deadlines), key=lambda d: d.due_at, default=None)


def next_escalation(deadlines: Iterable[Deadline]) -> tuple[Deadline, Escalation] | None:
    """The missed deadline escalated next, and that escalation, if any is still to come."""
    coming = [(d, d.next_escalation) for d in deadlines if d.next_escalation is not None]
    return min(
        ((d, e) for d, e in coming if e is not None), key=lambda pair: pair[1].at, default=None
    )
