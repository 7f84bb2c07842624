"""When the weekly digest is sent, and the span of time it tells: pure, ``now`` passed in.

The digest is sent on a weekday at a wall-clock time in a timezone (the team's Monday 09:00,
not UTC's). Each week's send is one bot-wide timer keyed by the week (``digest@2026-W12``, the
ISO week in that timezone), so every replica arming "the next one" arms the same timer, and a
schedule changed within a week moves that week's send rather than adding a second one.

A digest tells the time since the last one was posted, up to the moment it is due: weeks abut
whatever the clocks or the schedule did in between. Without a last one (the first digest, or
one more than two weeks old) it tells the week before: the same wall-clock time seven days
earlier, 167 or 169 hours across a clock change.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = timedelta(days=7)
WEEKS_BEFORE = 4
"""How many weeks before the digest's own its numbers are compared with."""
KEY_PREFIX = "digest@"
LONGEST = 2 * WEEK
"""The longest span a digest tells: after a longer silence, it tells the week before it."""


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
            due = self._on(first + weeks * WEEK)
            if due > moment:
                return due
        raise AssertionError("a week always holds a send")  # pragma: no cover

    def week_of(self, moment: datetime) -> date:
        """The Monday, in ``zone``, of the week ``moment`` falls in."""
        day = moment.astimezone(self.zone).date()
        return day - timedelta(days=day.weekday())

    def due_in(self, week: date) -> datetime:
        """The send of the week that starts on Monday ``week``, in UTC."""
        return self._on(week + timedelta(days=self.weekday))

    def span(self, due: datetime, last_until: datetime | None) -> tuple[datetime, datetime]:
        """[start, end) of what the send due at ``due`` tells: since the end of the last one
        posted (``last_until``) if it is less than ``LONGEST`` before, else the week before;
        UTC."""
        if last_until is not None and due - LONGEST <= last_until < due:
            return last_until, due
        [(start, _)] = self.weeks_before(due, 1)
        return start, due

    def weeks_before(self, due: datetime, count: int) -> list[tuple[datetime, datetime]]:
        """The ``count`` weeks before ``due`` as [start, end) in UTC, oldest first, each from
        a wall-clock time in ``zone`` to the same time seven days later."""
        local = due.astimezone(self.zone)
        bounds = [
            datetime.combine(local.date() - n * WEEK, local.time(), tzinfo=self.zone).astimezone(
                UTC
            )
            for n in range(count, -1, -1)
        ]
        return list(itertools.pairwise(bounds))

    def _on(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)


def key(week: date) -> str:
    """The timer key of the send of the week starting on Monday ``week``:
    ``digest@2026-W12`` (its ISO week)."""
    year, number, _ = week.isocalendar()
    return f"{KEY_PREFIX}{year}-W{number:02d}"


def week_of_key(timer_key: str) -> date | None:
    """The Monday of the week a digest timer's key names; None for any other key."""
    if not timer_key.startswith(KEY_PREFIX):
        return None
    year, _, number = timer_key.removeprefix(KEY_PREFIX).partition("-W")
    if not (year.isdigit() and number.isdigit()):
        return None
    try:
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return None
