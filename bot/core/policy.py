"""The timing rules of one severity, as the core needs them (the playbook YAML becomes these)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.deadline_kinds import DeadlineKind
from bot.core.model import EventKind, Severity


class Rung(enum.StrEnum):
    """Who one escalation reaches: the owner (the commander, else the owning team), the owner
    and the playbook's escalation group, or both and a page to the owning team's on-call."""

    OWNER = "owner"
    GROUP = "group"
    PAGE = "page"


@dataclass(frozen=True)
class EscalationRule:
    """How a missed deadline is escalated again while it stays unmet and the incident goes on.

    Every ``every`` after the due time (on that grid, from the miss on), the next escalation is
    taken: the n-th reaches ``steps[n-1]``, and past the end the last step again and again.
    """

    every: timedelta
    steps: tuple[Rung, ...]

    def rung(self, step: int) -> Rung:
        """Who escalation number ``step`` (1 for the first after the miss) reaches."""
        return self.steps[min(step, len(self.steps)) - 1]


@dataclass(frozen=True)
class ResponseRule:
    """The first deadline: the team assembled (Sev1) or the on-call responded (Sev2).

    Met once a commander is assigned (if required) and ``responders`` distinct people, the
    commander included, have done one of the ``counted`` things.
    """

    kind: DeadlineKind
    within: timedelta
    responders: int
    commander_required: bool
    counted: frozenset[EventKind]
    reminders: tuple[timedelta, ...] = ()


@dataclass(frozen=True)
class StatusUpdateRule:
    first_within: timedelta
    reminders: tuple[timedelta, ...] = ()


@dataclass(frozen=True)
class PostmortemRule:
    after_resolution: timedelta
    reminders: tuple[timedelta, ...] = ()
    escalation: EscalationRule | None = None
    """A missed post-mortem is chased at its own pace (not the live response's), or not."""


@dataclass(frozen=True)
class FollowUpRule:
    """A follow-up is due ``due_after`` its adding unless a date is given; reminded before it
    and, once missed, chased by ``escalation`` (after the incident is closed too)."""

    due_after: timedelta
    reminders: tuple[timedelta, ...] = ()
    escalation: EscalationRule | None = None


@dataclass(frozen=True)
class RollbackRule:
    """A deploy under ``window`` old at the start: roll back first; under ``urgent``: now."""

    window: timedelta
    urgent: timedelta


@dataclass(frozen=True)
class SeverityPolicy:
    severity: Severity
    response: ResponseRule | None = None
    status_updates: StatusUpdateRule | None = None
    postmortem: PostmortemRule | None = None
    rollback: RollbackRule | None = None
    escalation: EscalationRule | None = None
    """Repeats for the response and status update deadlines, once missed."""
    follow_ups: FollowUpRule = FollowUpRule(timedelta(days=14))

    def escalation_for(self, kind: DeadlineKind) -> EscalationRule | None:
        """How a missed deadline of ``kind`` is escalated again, if it is."""
        if kind is DeadlineKind.POSTMORTEM:
            return self.postmortem.escalation if self.postmortem else None
        if kind is DeadlineKind.FOLLOW_UP:
            return self.follow_ups.escalation
        return self.escalation


Policies = Mapping[Severity, SeverityPolicy]
