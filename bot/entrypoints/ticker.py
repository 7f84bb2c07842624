"""Runs ``TimerRunner.tick`` on the real clock with APScheduler.

Nothing is pickled into a job store: the timers are database rows, and APScheduler only keeps two
in-memory jobs per replica: a short interval poll (which also catches timers other replicas
created) and a one-off wake-up at the next known fire time, so firings are not late by a poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

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
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.last_tick: datetime | None = None
        self._finished: datetime | None = None  # last_tick as of the last tick() that is over
        self._ticked = threading.Condition()

    def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.poll.total_seconds(),
            id="poll",
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

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
        if moment is None or not self.scheduler.running:
            return
        self.scheduler.add_job(self.tick, "date", run_date=moment, id="wake", replace_existing=True)

    def tick(self) -> None:
        """Fire what is due; a tick asked for while one runs makes that one go round again.

        It never waits for the running one: a waiting wake-up would count as a running instance,
        and APScheduler would skip the next wake-up, leaving its timer to the next poll.
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
        if upcoming is not None and upcoming - self.clock() < self.poll:
            self.wake_at(upcoming)

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
            except Exception:  # the poll must survive a database outage
                log.exception("timer tick failed")
                return None
            if not self._again.is_set() and (upcoming is None or upcoming > self.clock()):
                return upcoming
