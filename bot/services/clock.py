"""The one place the bot reads the time; tests and the sandbox pass their own clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
Stopwatch = Callable[[], float]  # seconds, on a clock that never goes back (for durations)


def system_clock() -> datetime:
    return datetime.now(UTC)


def system_stopwatch() -> float:
    return time.monotonic()


class SteadyClock:
    """The wall clock, except that it never goes back: it follows the wall clock forward, and
    when the wall clock is stepped back it carries on from where it was, on the stopwatch.

    Timers compare their due times with it, so a wall clock stepped back by minutes neither
    stalls them nor fires them twice. ``wall`` and ``stopwatch`` are injected for tests.
    """

    def __init__(self, wall: Clock = system_clock, stopwatch: Stopwatch = system_stopwatch) -> None:
        self._wall = wall
        self._stopwatch = stopwatch
        self._lock = threading.Lock()
        self._last = wall()
        self._read_at = stopwatch()

    def __call__(self) -> datetime:
        with self._lock:
            read_at = self._stopwatch()
            carried_on = self._last + timedelta(seconds=read_at - self._read_at)
            self._last, self._read_at = max(self._wall(), carried_on), read_at
            return self._last
