"""The timing rules of one severity, as the core needs them (the playbook YAML becomes these)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.deadline_kinds import DeadlineKind
from bot.core.model import EventKind, Severity


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


Policies = Mapping[Severity, SeverityPolicy]
