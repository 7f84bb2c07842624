"""The one place the bot reads the time; tests and the sandbox pass their own clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
Stopwatch = Callable[[], float]  # seconds, on a clock that never goes back (for durations)


def system_clock() -> datetime:
    return datetime.now(UTC)


def system_stopwatch() -> float:
    return time.monotonic()
