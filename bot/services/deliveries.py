"""Slack requests done once: every delivery of a request after the first is recognised, on any
replica, so a retried event or interaction changes nothing twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from bot.services.clock import Clock
from bot.services.ports import COMMITS, UnitsOfWork

KEPT_FOR = timedelta(days=1)
"""How long a delivery is remembered: Slack retries within minutes and signs for 5 minutes."""
FORGET_EVERY = 3600.0  # seconds between two clean-ups of old deliveries, per process


class Deliveries:
    def __init__(
        self, units: UnitsOfWork, clock: Clock, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.units = units
        self.clock = clock
        self.monotonic = monotonic
        self._forgot_at: float | None = None
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        """True the first time ``key`` (a request's event id or trigger id) is seen, on any
        replica; False for a retry or a duplicate. Raises StorageUnavailable."""
        now = self.clock()
        token = COMMITS.set(None)  # bookkeeping, not something the request recorded
        try:
            with self.units() as uow:
                first = uow.deliveries.claim(key, now)
                if self._time_to_forget():
                    uow.deliveries.forget_before(now - KEPT_FOR)
                uow.commit()
        finally:
            COMMITS.reset(token)
        return first

    def _time_to_forget(self) -> bool:
        with self._lock:
            due = self._forgot_at is None or self.monotonic() - self._forgot_at > FORGET_EVERY
            if due:
                self._forgot_at = self.monotonic()
            return due
