"""Refusing replayed Slack requests: a signed request may be sent once.

Slack signs each delivery with its own timestamp, and Bolt refuses a timestamp more than 5
minutes off; within those minutes, the very same signed bytes sent again are a replay (Slack's
own retries are signed anew). Each replica remembers the signatures it accepted for longer than
that window; a replay that reaches another replica is caught by the durable delivery claims
(``bot.services.deliveries``), which keep its effect from happening twice.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

REMEMBERED_FOR = 600.0  # seconds: twice Bolt's 5-minute window for signature timestamps
MOST_REMEMBERED = 100_000  # signatures kept at most, the oldest forgotten first


class ReplayGuard:
    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        remembered_for: float = REMEMBERED_FOR,
        most: int = MOST_REMEMBERED,
    ) -> None:
        self.monotonic = monotonic
        self.remembered_for = remembered_for
        self.most = most
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, signature: str) -> bool:
        """True the first time ``signature`` (a request's ``X-Slack-Signature``) is seen in the
        window, and remembers it; False for a replay. Check and remember are one step."""
        now = self.monotonic()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= self.remembered_for and len(self._seen) < self.most:
                    break
                del self._seen[oldest]
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True
