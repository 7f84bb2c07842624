"""Declarations first: follow-up work waits while declarations still queue for a worker.

Under a burst of declarations, each declarer is waiting for their channel; the rollback advice
and first actions of earlier ones can wait a moment longer unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable


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
