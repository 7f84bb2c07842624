"""Which timers the deadlines need: a firing at each due time and one at each reminder.

Pure: the scheduler stores what this returns and fires it; due times come only from the core's
deadline computation, never from a second source.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import Deadline


class Purpose(enum.StrEnum):
    DUE = "due"
    REMINDER = "reminder"
    ESCALATE = "escalate"
    SETUP = "setup"
    """The incident's room (channel, people, card, announcement, ticket) still being set up."""
    TRACKER = "tracker"
    """The incident's follow-ups owed to the team's tracker (filed, closed), or polled there."""
    TELL = "tell"
    """A status update or resolution owed to stakeholders (a channel refused it, or the
    process stopped before telling them)."""
    PAGE = "page"
    """A resolved incident's status-page incident still open: its resolution is owed."""
    DIGEST = "digest"
    """The bot's weekly digest (a bot-wide timer, ``BOT_WIDE``): one a week, keyed by when."""


WORK = frozenset({Purpose.SETUP, Purpose.TRACKER, Purpose.TELL, Purpose.PAGE, Purpose.DIGEST})
"""Timers for owed work rather than a deadline's notices: armed by the use cases, never by
the deadlines' plan."""


BOT_WIDE = 0
"""The incident id of a bot-wide timer, about no incident (stored as NULL; ids start at 1)."""

SETUP_KEY = "setup"
TELL_KEY = "stakeholders"
PAGE_KEY = "status page"
TRACKER_KEY = "tracker"
TRACKER_GRACE = timedelta(seconds=20)
"""How long the request that added (or closed) a follow-up has to sync it before the timer does."""
PAGE_GRACE = timedelta(seconds=30)
"""How long the request that resolved an incident has to resolve its page incident before the
timer does."""
TELL_GRACE = timedelta(seconds=20)
"""How long the request that recorded a status update has to tell stakeholders before the
timer does."""
SETUP_GRACE = timedelta(seconds=20)
"""How long the request that declared an incident has to set it up before a timer finishes it
(the declaration's own work usually takes under two seconds)."""


@dataclass(frozen=True)
class TimerSpec:
    key: str
    """Unique within the incident, stable across recomputations."""
    deadline_key: str
    purpose: Purpose
    fire_at: datetime


# A deadline is missed once its due time has passed, not at it (met exactly on time is met), so
# the due firing comes just after: at the due time itself the runner would find it still pending.
MISSED_AFTER = timedelta(milliseconds=1)


def wanted(deadlines: Iterable[Deadline]) -> list[TimerSpec]:
    """The timers that must exist now.

    A pending deadline wants its reminders and its due firing; a missed one that nobody has met
    still wants its due firing (the bot may have been down when it fell due); a met or
    cancelled one wants nothing. A missed one still unmet wants its next escalation, keyed by
    its step: once that step is recorded, the next step's timer is wanted instead.
    """
    timers = []
    for deadline in deadlines:
        unmet_missed = deadline.status is DeadlineStatus.MISSED and deadline.met_at is None
        if deadline.status is DeadlineStatus.PENDING or unmet_missed:
            timers.append(
                TimerSpec(
                    f"{deadline.key}:due",
                    deadline.key,
                    Purpose.DUE,
                    deadline.due_at + MISSED_AFTER,
                )
            )
        if deadline.status is DeadlineStatus.PENDING:
            timers += [
                TimerSpec(
                    f"{deadline.key}:remind@{at:%Y%m%dT%H%M%S}", deadline.key, Purpose.REMINDER, at
                )
                for at in deadline.reminders
            ]
        if (escalation := deadline.next_escalation) is not None:
            timers.append(
                TimerSpec(
                    escalation_key(deadline.key, escalation.step),
                    deadline.key,
                    Purpose.ESCALATE,
                    escalation.at,
                )
            )
    return timers


def escalation_key(deadline_key: str, step: int) -> str:
    """The key of the timer of escalation ``step`` of the deadline ``deadline_key``."""
    return f"{deadline_key}:escalate#{step}"
