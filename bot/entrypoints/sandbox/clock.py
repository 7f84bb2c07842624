"""Time the sandbox user moves: the bot reads it through the same Clock interface as real time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the sandbox clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def move_to(self, moment: datetime) -> None:
        """Forward only: the bot has already acted on every moment before ``now``."""
        with self._lock:
            if moment < self._now:
                raise ValueError("time only moves forward")
            self._now = moment.astimezone(UTC)

    def restart_at(self, moment: datetime) -> None:
        """A new start, either way; only for before the bot has seen any time."""
        with self._lock:
            self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.move_to(self() + delta)
