"""When the weekly digest is sent, and the weeks it compares: pure, ``now`` passed in.

The digest is sent on a weekday at a wall-clock time in a timezone (the team's Monday 09:00,
not UTC's); it tells the seven days before the moment it is due, against the four weeks
before those. Each send is a bot-wide timer keyed by its due time, so every replica arming
"the next one" arms the same timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = timedelta(days=7)
WEEKS_BEFORE = 4
"""How many weeks before the digest's own its numbers are compared with."""
KEY_PREFIX = "digest@"


@dataclass(frozen=True)
class Schedule:
    """Sent each ``weekday`` (0: Monday) at ``at`` on the wall clock of ``zone``."""

    weekday: int
    at: time
    zone: tzinfo

    def next_after(self, moment: datetime) -> datetime:
        """The first send strictly after ``moment``, in UTC. A wall-clock time a clock change
        skips is read before the change (as ``zoneinfo`` reads it)."""
        local = moment.astimezone(self.zone)
        first = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        for weeks in range(3):
            day = first + weeks * WEEK
            due = datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)
            if due > moment:
                return due
        raise AssertionError("a week always holds a send")  # pragma: no cover


def key(due: datetime) -> str:
    """The timer key of the send due at ``due``: ``digest@2026-12-07T08:00:00+00:00``."""
    return KEY_PREFIX + due.astimezone(UTC).isoformat()


def due_of(timer_key: str) -> datetime | None:
    """The due time a digest timer's key names; None for any other key."""
    if not timer_key.startswith(KEY_PREFIX):
        return None
    try:
        return datetime.fromisoformat(timer_key.removeprefix(KEY_PREFIX)).astimezone(UTC)
    except ValueError:
        return None
