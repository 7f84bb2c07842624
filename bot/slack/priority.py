"""Declarations first: follow-up work waits while declarations still queue for a worker.

Under a burst of declarations, each declarer is waiting for their channel; the rollback advice
and first actions of earlier ones can wait a moment longer unnoticed.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class BacklogFirst:
    """Follow-up work (rollback advice, first actions) waits while declarations queue for a worker.

    Under a burst, every declarer gets their channel and card before any follow-up takes the
    cores; ``max_wait`` bounds how long a follow-up can be held back.
    """

    def __init__(
        self, backlog: Callable[[], int], max_wait: float = 2.0, poll: float = 0.01
    ) -> None:
        self.backlog = backlog
        self.max_wait = max_wait
        self.poll = poll

    def wait(self) -> None:
        deadline = time.monotonic() + self.max_wait
        while self.backlog() > 0 and time.monotonic() < deadline:
            time.sleep(self.poll)

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
