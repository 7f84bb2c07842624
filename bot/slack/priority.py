"""Acknowledgements first: work that follows an ack waits while other acks are in flight.

On a small machine the Slack and database work of earlier requests competes with new requests
for the same cores (and Python's lock); Slack wants each ack within 3 seconds, while the work
can take a few hundred milliseconds longer unnoticed. So the work steps aside, briefly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class AckFirst:
    def __init__(self, max_wait: float = 0.25) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._idle = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one request from Slack, up to its acknowledgement."""
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.notify_all()

    def step_aside(self) -> None:
        """Wait (at most ``max_wait``) until no acknowledgement is being prepared."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=self.max_wait)
