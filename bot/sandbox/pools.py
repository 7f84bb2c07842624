"""Thread pools that know when all the work handed to them is done.

The sandbox prints what the bot said after each step; it must wait until the work the step set
off (lazy listeners, then their follow-ups) has finished, without guessing with sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class WorkTracker:
    """Counts unfinished work across every pool it made."""

    def __init__(self) -> None:
        self._pending = 0
        self._idle = threading.Condition()

    def pool(self, threads: int, name: str) -> ThreadPoolExecutor:
        return _TrackedPool(self, threads, name)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once nothing is queued or running; False if ``timeout`` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _started(self) -> None:
        with self._idle:
            self._pending += 1

    def _finished(self, _future: Future[Any]) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()


class _TrackedPool(ThreadPoolExecutor):
    def __init__(self, tracker: WorkTracker, threads: int, name: str) -> None:
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self._tracker = tracker

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        # Counted before it is queued: work submitted from inside other tracked work (a
        # follow-up) is pending before its parent finishes, so idle is never seen in between.
        self._tracker._started()
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._tracker._finished(Future())
            raise
        future.add_done_callback(self._tracker._finished)
        return future
