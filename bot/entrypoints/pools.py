"""Thread pools that know how much work they hold, and when all of it is done.

Follow-up work waits while declarations are still pending in the listener pool (BacklogFirst),
and the sandbox waits until everything a step set off has finished before it prints. Each task
runs in a copy of its submitter's context, so what a request bound for its log lines (its
request_id) stays bound in the lazy listeners and follow-ups it set off.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class WorkTracker:
    """Counts unfinished work across every pool it made."""

    def __init__(self) -> None:
        self._pending = 0
        self._idle = threading.Condition()

    def pool(self, threads: int, name: str) -> TrackedPool:
        return TrackedPool(self, threads, name)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once nothing is queued or running; False if ``timeout`` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _count(self, change: int) -> None:
        with self._idle:
            self._pending += change
            if self._pending == 0:
                self._idle.notify_all()


class TrackedPool(ThreadPoolExecutor):
    def __init__(self, tracker: WorkTracker, threads: int, name: str) -> None:
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self.name = name
        self._tracker = tracker
        self._held = 0  # queued or running here
        self._lock = threading.Lock()
        self._empty = threading.Condition(self._lock)

    @property
    def pending(self) -> int:
        """Work queued or running in this pool."""
        with self._lock:
            return self._held

    def wait_empty(self, timeout: float) -> bool:
        """True once nothing is queued or running here; False if ``timeout`` seconds pass first."""
        with self._empty:
            return self._empty.wait_for(lambda: self._held == 0, timeout)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        # Counted before it is queued: work submitted from inside other tracked work (a
        # follow-up) is pending before its parent finishes, so idle is never seen in between.
        self._count(+1)
        context = contextvars.copy_context()  # the submitter's, as it is now
        try:
            future = super().submit(lambda: context.run(fn, *args, **kwargs))
        except BaseException:
            self._count(-1)
            raise
        future.add_done_callback(lambda _: self._count(-1))
        return future

    def _count(self, change: int) -> None:
        with self._empty:
            self._held += change
            if self._held == 0:
                self._empty.notify_all()
        self._tracker._count(change)


def drain(tracker: WorkTracker, pools: Sequence[TrackedPool], seconds: float) -> dict[str, int]:
    """Take no more work, and wait at most ``seconds`` for the work held to finish (work it
    sets off included); then drop what is still queued. What was left, by pool name (empty:
    everything finished). Threads still running are not waited for."""
    until = time.monotonic() + seconds
    for pool in pools:
        pool.shutdown(wait=False)
    tracker.wait_idle(max(until - time.monotonic(), 0.0))
    left = {pool.name: pool.pending for pool in pools if pool.pending}
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    return left


def at_once(pool: Executor) -> Callable[[Sequence[Callable[[], object]]], None]:
    """A runner for independent pieces of work (a new room's Slack calls): the first in the
    caller's thread, the others on ``pool`` at the same time; it returns once every piece has
    finished and raises what the first that failed raised (``rooms.Together``)."""

    def together(work: Sequence[Callable[[], object]]) -> None:
        others = [pool.submit(piece) for piece in work[1:]]
        failure: BaseException | None = None
        try:
            if work:
                work[0]()
        except BaseException as error:
            failure = error
        for other in others:
            try:
                other.result()
            except BaseException as error:
                failure = failure or error
        if failure is not None:
            raise failure

    return together
