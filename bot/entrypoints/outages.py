"""A failure that repeats on every round of a loop (the ticker's poll, the checkpoints) is told
once: one line when it starts, naming the error's kind, a reminder at most every ``remind``
seconds while it lasts, and one line when it ends, saying how long it lasted.

An error of a kind the loop expects (the database unreachable, a file it cannot write) is one
line; any other error carries its traceback once, when it starts, since it is a bug to read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


def kind(error: BaseException) -> str:
    """``Class: first line of the message`` of ``error`` (or of the driver's error it wraps),
    at most 200 characters."""
    cause = getattr(error, "orig", None) or error
    message = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {message}"[:200] if message else type(cause).__name__


class Outage:
    """Tells the failures of one loop; ``failed`` on every failing round, ``ok`` on every round
    that worked. Thread-safe."""

    def __init__(
        self,
        what: str,
        log: logging.Logger,
        expected: tuple[type[BaseException], ...] = (),
        remind: float = 300.0,  # seconds between reminders while it lasts
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.log = log
        self.expected = expected
        self.remind = remind
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._since: float | None = None  # when it started (monotonic seconds)
        self._told: float = 0.0  # when it was last said
        self._failures = 0
        self._kind = ""

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> None:
        """One round failed with ``error``: said if it starts an outage, changes its kind, or
        the last line about it is ``remind`` seconds old."""
        now, what = self.monotonic(), kind(error)
        with self._lock:
            self._failures += 1
            if self._since is None:
                self._since, self._told, self._kind, self._failures = now, now, what, 1
                trace = None if isinstance(error, self.expected) else error
                self.log.error(f"{self.what} failing", exc_info=trace, extra={"error": what})
                return
            if what != self._kind or now - self._told >= self.remind:
                self._told, self._kind = now, what
                self.log.error(
                    f"{self.what} still failing",
                    extra={
                        "error": what,
                        "failures": self._failures,
                        "seconds": round(now - self._since, 1),
                    },
                )

    def ok(self) -> None:
        """One round worked: ends the outage, if there is one, in one line."""
        with self._lock:
            if self._since is None:
                return
            lasted, failures = self.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
        self.log.warning(
            f"{self.what} working again",
            extra={"failures": failures, "seconds": round(lasted, 1)},
        )
