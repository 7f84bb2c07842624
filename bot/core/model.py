"""The incident's vocabulary: severities, timeline events and the incident snapshot they build."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core import lifecycle


class Severity(enum.StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EventKind(enum.StrEnum):
    """What can happen to an incident; the timeline is a sequence of these, never edited."""

    DECLARED = "declared"
    SEVERITY_CHANGED = "severity_changed"
    COMMANDER_ASSIGNED = "commander_assigned"
    ROLE_ASSIGNED = "role_assigned"
    ACKNOWLEDGED = "acknowledged"
    JOINED = "joined"
    SERVICES_CHANGED = "services_changed"
    STATUS_UPDATE_POSTED = "status_update_posted"
    STAKEHOLDERS_TOLD = "stakeholders_told"
    """A status update reached every stakeholder channel (``extra["update"]``: its seq)."""
    STAKEHOLDERS_NOT_TOLD = "stakeholders_not_told"
    """A status update did not reach a stakeholder channel (``extra``: update, channel, error)."""
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    NOTE_ADDED = "note_added"
    NOTE_WITHDRAWN = "note_withdrawn"
    POSTMORTEM_PUBLISHED = "postmortem_published"
    DEADLINE_MISSED = "deadline_missed"
    DEADLINE_ESCALATED = "deadline_escalated"
    NOTICE_UNDELIVERED = "notice_undelivered"
    ROLLBACK_ADVISED = "rollback_advised"
    ROLLBACK_DECIDED = "rollback_decided"
    DEPLOY_REPORTED = "deploy_reported"
    ALERT_FIRING = "alert_firing"
    FOLLOW_UP_ADDED = "follow_up_added"
    """A follow-up (``text``: what; ``subject``: its owner; ``extra["due"]``: ISO UTC); its
    number is its place among the incident's follow-ups (``bot.core.follow_ups``)."""
    FOLLOW_UP_CHANGED = "follow_up_changed"
    """``extra``: ``follow_up`` (its number) and any of ``what``, ``owner``, ``due``."""
    FOLLOW_UP_DONE = "follow_up_done"
    FOLLOW_UP_DROPPED = "follow_up_dropped"
    """Won't do (``text``: why)."""
    FOLLOW_UP_LINKED = "follow_up_linked"
    """Its issue in the team's tracker: ``extra``: ``tracker``, ``key``, ``url``."""
    FOLLOW_UP_REFUSED = "follow_up_refused"
    """The tracker refused to file, read or close it, in a way asking again soon will not
    change (``text``: why, in the tracker's words; ``extra``: ``tracker``, and ``gone``: "1"
    when its issue no longer exists there: it is filed anew when it next changes)."""
    FOLLOW_UP_CLOSED_THERE = "follow_up_closed_there"
    """Its issue is closed in the tracker too (the bot closed it, or it is gone there): the
    tracker is not asked about it any more."""
    STATUS_PAGE_UPDATED = "status_page_updated"
    """Something reached the public status page (``extra``: what, its id there, status)."""


LIFECYCLE_ACTIONS: Mapping[EventKind, lifecycle.Action] = {
    EventKind.SEVERITY_CHANGED: lifecycle.Action.CHANGE_SEVERITY,
    EventKind.MITIGATED: lifecycle.Action.MITIGATE,
    EventKind.RESOLVED: lifecycle.Action.RESOLVE,
    EventKind.REOPENED: lifecycle.Action.REOPEN,
    EventKind.CLOSED: lifecycle.Action.CLOSE,
}


@dataclass(frozen=True)
class Event:
    """One timeline entry. ``seq`` orders an incident's events from 1 upwards."""

    seq: int
    at: datetime
    kind: EventKind
    actor: str
    severity: Severity | None = None
    subject: str | None = None
    next_update: timedelta | None = None
    text: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Incident:
    """What the timeline says an incident is right now."""

    title: str
    severity: Severity
    state: lifecycle.State
    declared_at: datetime
    declared_by: str
    started_at: datetime
    commander: str | None = None
    responders: frozenset[str] = frozenset()
    roles: Mapping[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state in lifecycle.OPEN_STATES


class TimelineError(ValueError):
    """A timeline that cannot describe an incident (no declaration, or one out of place)."""


def replay(events: Iterable[Event]) -> Incident:
    """Fold a timeline into the incident it describes; the first event must be the declaration."""
    incident: Incident | None = None
    for event in events:
        incident = _declared(event) if incident is None else evolve(incident, event)
    if incident is None:
        raise TimelineError("an incident's timeline starts with its declaration; it is empty")
    return incident


def _declared(event: Event) -> Incident:
    if event.kind is not EventKind.DECLARED or event.severity is None:
        raise TimelineError(f"the first event must declare the incident, not {event.kind}")
    started = event.extra.get("started_at")
    return Incident(
        title=event.text or "",
        severity=event.severity,
        state=lifecycle.State.INVESTIGATING,
        declared_at=event.at,
        declared_by=event.actor,
        started_at=datetime.fromisoformat(started) if started else event.at,
        services=_services(event),
    )


def evolve(incident: Incident, event: Event) -> Incident:
    """The incident after ``event``; a lifecycle move its state forbids raises IllegalTransition."""
    action = LIFECYCLE_ACTIONS.get(event.kind)
    if action is not None:
        incident = replace(incident, state=lifecycle.transition(incident.state, action))
    match event.kind:
        case EventKind.DECLARED:
            raise TimelineError(f"event {event.seq} declares an incident that already exists")
        case EventKind.SEVERITY_CHANGED if event.severity is not None:
            return replace(incident, severity=event.severity)
        case EventKind.COMMANDER_ASSIGNED if event.subject:
            return replace(
                incident, commander=event.subject, responders=incident.responders | {event.subject}
            )
        case EventKind.ROLE_ASSIGNED if event.subject and event.text:
            return replace(incident, roles={**incident.roles, event.text: event.subject})
        case EventKind.ACKNOWLEDGED | EventKind.JOINED:
            return replace(incident, responders=incident.responders | {event.actor})
        case EventKind.SERVICES_CHANGED:
            return replace(incident, services=_services(event))
    return incident


def _services(event: Event) -> tuple[str, ...]:
    listed = event.extra.get("services", "")
    return tuple(name for name in listed.split(",") if name)
