"""The steady clock: the wall clock, except that it never goes back."""

from __future__ import annotations

from datetime import timedelta

from bot.services.clock import SteadyClock
from tests.core.timelines import T0


class Hands:
    """A wall clock and a stopwatch the test moves."""

    def __init__(self) -> None:
        self.wall = T0
        self.seconds = 100.0

    def move(self, seconds: float, wall_step: timedelta = timedelta(0)) -> None:
        self.seconds += seconds
        self.wall += timedelta(seconds=seconds) + wall_step


def test_it_follows_the_wall_clock_forward() -> None:
    hands = Hands()
    clock = SteadyClock(lambda: hands.wall, lambda: hands.seconds)
    hands.move(5)
    assert clock() == T0 + timedelta(seconds=5)
    hands.move(5, wall_step=timedelta(minutes=1))  # stepped forward: followed
    assert clock() == T0 + timedelta(minutes=1, seconds=10)


def test_a_wall_clock_stepped_back_does_not_take_it_back() -> None:
    hands = Hands()
    clock = SteadyClock(lambda: hands.wall, lambda: hands.seconds)
    hands.move(10, wall_step=-timedelta(minutes=4))
    assert clock() == T0 + timedelta(seconds=10)  # carried on by the stopwatch
    hands.move(20)
    assert clock() == T0 + timedelta(seconds=30)
