"""Runs ``TimerRunner.tick`` on the real clock, from one thread per replica.

The timers are database rows; the thread only polls (which also catches timers other replicas
created) and wakes up early at the next known fire time, so firings are not late by a poll. It
waits on the monotonic clock (``threading.Event.wait``), never until a wall-clock moment: a
wall clock stepped back delays nothing by more than a poll. (A scheduler that computes its next
run on the wall clock, as APScheduler 3 does, would sleep through the step.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.entrypoints.outages import Outage
from bot.services.clock import Clock
from bot.services.timers import Fired, TimerRunner

log = logging.getLogger(__name__)


class Ticker:
    def __init__(
        self,
        runner: TimerRunner,
        clock: Clock,
        poll: timedelta = timedelta(seconds=1),
        on_fired: Callable[[list[Fired]], None] | None = None,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.poll = poll
        self.on_fired = on_fired
        self._lock = threading.Lock()  # one tick at a time in this process
        self._again = threading.Event()
        self._nudged = threading.Event()  # the wait before the next tick is to be recomputed
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake: datetime | None = None
        self.last_tick: datetime | None = None
        self._finished: datetime | None = None  # last_tick as of the last tick() that is over
        self._ticked = threading.Condition()
        # a database outage is one line when it starts and one when it ends, not one a poll
        self.outage = Outage("timer tick", log, expected=(SQLAlchemyError,))

    def start(self) -> None:
        """Tick now, then every poll (sooner for a wake-up), until ``stop``."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="timer-ticker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop ticking; waits for a running tick to be over (at most ``timeout`` seconds:
        ``running`` then stays true)."""
        self._stopping.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.tick()
            self._nudged.wait(self._until_next_tick())
            self._nudged.clear()

    def _until_next_tick(self) -> float:
        """Seconds to wait: a poll, or less to a known wake-up (a wall-clock moment read once,
        now, so that the wait itself runs on the monotonic clock)."""
        seconds = self.poll.total_seconds()
        wake = self._wake
        if wake is not None:
            seconds = min(seconds, max((wake - self.clock()).total_seconds(), 0.0))
        return seconds

    @property
    def busy(self) -> bool:
        """A tick is running in this process."""
        return self._lock.locked()

    def wait_for_tick(self, after: datetime | None = None, timeout: float = 30.0) -> bool:
        """Block until a tick that began after ``after`` (or any tick) is over; False on timeout.

        What a tick fires is announced before it is over.
        """

        def over() -> bool:
            return self._finished is not None and (after is None or self._finished > after)

        with self._ticked:
            return self._ticked.wait_for(over, timeout)

    def wake_at(self, moment: datetime | None) -> None:
        """Tick at ``moment`` (if it comes before the next poll)."""
        self._wake = moment
        self._nudged.set()

    def tick(self) -> None:
        """Fire what is due; a tick asked for while one runs makes that one go round again.

        It never waits for the running one (a tick asked for from another thread returns at
        once), and what is due when a round ends is fired in another round straight away.
        """
        while True:
            if not self._lock.acquire(blocking=False):
                self._again.set()
                return
            try:
                upcoming = self._tick_until_nothing_is_due()
            finally:
                self._lock.release()
                with self._ticked:
                    self._finished = self.last_tick
                    self._ticked.notify_all()
            if not self._again.is_set():  # asked for between the last round and the release
                break
        self._wake = (
            upcoming if upcoming is not None and upcoming - self.clock() < self.poll else None
        )

    def _tick_until_nothing_is_due(self) -> datetime | None:
        while True:
            self._again.clear()
            try:
                now = self.clock()
                fired = self.runner.tick(now)
                self.last_tick = now
                if fired and self.on_fired is not None:
                    self.on_fired(fired)
                upcoming = self.runner.next_fire_at()
            except Exception as error:  # the poll must survive a database outage
                self.outage.failed(error)
                return None
            self.outage.ok()
            if not self._again.is_set() and (upcoming is None or upcoming > self.clock()):
                return upcoming
