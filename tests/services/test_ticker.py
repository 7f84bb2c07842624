"""The ticker on a fake runner: no tick asked for is lost, and none waits behind another."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.entrypoints.ticker import Ticker
from bot.services.timers import Fired, TimerRunner

NOW = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


class SlowRunner:
    """The first tick blocks until released; every tick is counted."""

    def __init__(self) -> None:
        self.ticks = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.next_at: datetime | None = None

    def tick(self, now: datetime) -> list[Fired]:
        self.ticks += 1
        if self.ticks == 1:
            self.entered.set()
            self.release.wait(5)
        return []

    def next_fire_at(self) -> datetime | None:
        return self.next_at


def ticker(runner: SlowRunner) -> Ticker:
    fake: TimerRunner = runner  # type: ignore[assignment]
    return Ticker(fake, lambda: NOW, poll=timedelta(seconds=1))


def test_a_tick_asked_for_during_another_returns_at_once_and_is_run_after_it() -> None:
    runner = SlowRunner()
    clock = ticker(runner)
    first = threading.Thread(target=clock.tick)
    first.start()
    assert runner.entered.wait(5)
    asked = threading.Thread(target=clock.tick)
    asked.start()
    asked.join(1)
    assert not asked.is_alive()  # it did not wait for the running tick ...
    runner.release.set()
    first.join(5)
    assert runner.ticks == 2  # ... and the running tick went round once more for it


def test_timers_already_due_after_a_tick_are_fired_without_waiting_for_a_poll() -> None:
    runner = SlowRunner()
    runner.release.set()
    runner.next_at = NOW - timedelta(seconds=1)  # still due: round again ...
    clock = ticker(runner)
    original = runner.tick

    def tick_then_nothing_due(now: datetime) -> list[Fired]:
        if runner.ticks == 2:
            runner.next_at = NOW + timedelta(minutes=5)  # ... until nothing is
        return original(now)

    runner.tick = tick_then_nothing_due  # type: ignore[method-assign]
    clock.tick()
    assert runner.ticks == 3


class CountingRunner:
    """Counts ticks; the third sets ``ticked_thrice``. Its next timer is always 1 s after NOW."""

    def __init__(self) -> None:
        self.ticks = 0
        self.ticked_thrice = threading.Event()

    def tick(self, now: datetime) -> list[Fired]:
        self.ticks += 1
        if self.ticks >= 3:
            self.ticked_thrice.set()
        return []

    def next_fire_at(self) -> datetime | None:
        return NOW + timedelta(seconds=1)


def test_a_clock_stepped_back_delays_no_tick_by_more_than_a_poll() -> None:
    """The next timer seems 4 minutes away on a clock stepped back 4 minutes; the ticker waits
    on the monotonic clock, a poll at most, and goes on ticking."""
    runner = CountingRunner()
    readings = iter([NOW])
    fake: TimerRunner = runner  # type: ignore[assignment]
    clock = Ticker(
        fake, lambda: next(readings, NOW - timedelta(minutes=4)), poll=timedelta(seconds=0.05)
    )
    clock.start()
    try:
        assert runner.ticked_thrice.wait(5)
    finally:
        clock.stop()
    assert not clock.running
