"""Acknowledgements first: work that follows an ack waits while other acks are in flight.

On a small machine the Slack and database work of earlier requests competes with new requests
for the same cores (and Python's lock); Slack wants each ack within 3 seconds, while the work
can take a few hundred milliseconds longer unnoticed. So the work steps aside, briefly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
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


class BacklogFirst:
    """Follow-up work (rollback advice, first actions) waits while declarations queue for a worker.

    Under a burst, every declarer gets their channel and card before any follow-up takes the
    cores; ``max_wait`` bounds how long a follow-up can be held back.
    """

    def __init__(self, backlog_cleared: Callable[[float], bool], max_wait: float = 2.0) -> None:
        self.backlog_cleared = backlog_cleared  # waits up to that many seconds for no backlog
        self.max_wait = max_wait

    def wait(self) -> None:
        self.backlog_cleared(self.max_wait)

    def behind(
        self, submit: Callable[[Callable[[], object]], object]
    ) -> Callable[[Callable[[], object]], object]:
        """``submit``, with each piece of work waiting for the backlog first."""

        def later(work: Callable[[], object]) -> object:
            def when_quiet() -> object:
                self.wait()
                return work()

            return submit(when_quiet)

        return later
