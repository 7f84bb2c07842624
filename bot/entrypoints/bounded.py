"""Calls a probe makes of the database, waited for at most a few seconds.

A database that hangs instead of refusing (a partition, a stalled failover, a proxy that stops
forwarding) leaves a query waiting with no error. A probe that waited with it would pile up
waitress's threads until even /healthz goes unanswered; bounded, it answers in time and says
the database is not answering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

T = TypeVar("T")

PROBE_SECONDS = 2.0
"""How long a probe waits for the database: well inside a kubelet probe's default 1-3 s
timeouts' sum with its period, and far beyond a healthy database's milliseconds."""


class NotAnswered(Exception):
    """The call did not return within its time (it goes on in its own thread)."""


class Bounded(Generic[T]):
    """``call`` run in a thread of its own, waited for at most ``seconds``; NotAnswered
    beyond. While a call is still running, later asks wait for that one (again at most
    ``seconds``) instead of starting another: a hanging database holds one thread, not one
    per probe."""

    def __init__(self, call: Callable[[], T], name: str, seconds: float = PROBE_SECONDS) -> None:
        self.call = call
        self.name = name
        self.seconds = seconds
        self._lock = threading.Lock()
        self._running: Future[T] | None = None

    def __call__(self) -> T:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(
                    target=self._run, args=(self._running,), name=f"probe-{self.name}", daemon=True
                ).start()
            running = self._running
        try:
            return running.result(timeout=self.seconds)
        except FutureTimeout:
            raise NotAnswered(f"{self.name}: no answer within {self.seconds:g} s") from None

    def _run(self, future: Future[T]) -> None:
        try:
            future.set_result(self.call())
        except BaseException as error:  # handed to whoever waits for it
            future.set_exception(error)
