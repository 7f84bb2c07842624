"""Probes wait for the database a few seconds at most: a call that hangs is "not answered",
holds one thread however many probes ask, and a call that answers is answered as it is."""

from __future__ import annotations

import threading

import pytest

from bot.entrypoints.bounded import Bounded, NotAnswered


class Hanging:
    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def __call__(self) -> str:
        self.calls += 1
        self.release.wait(timeout=30)
        return "answered late"


def test_a_call_that_hangs_is_not_answered_and_runs_once_however_many_ask() -> None:
    hanging = Hanging()
    bounded = Bounded(hanging, "database", seconds=0.05)
    for _ in range(5):
        with pytest.raises(NotAnswered, match=r"database: no answer within 0\.05 s"):
            bounded()
    assert hanging.calls == 1
    hanging.release.set()
    bounded.seconds = 10
    assert bounded() == "answered late"  # the call that hung, answered at last
    assert bounded() == "answered late" and hanging.calls == 2  # then asked afresh


def test_an_answer_and_an_error_reach_the_asker() -> None:
    assert Bounded(lambda: 7, "x")() == 7

    def failing() -> int:
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError, match="refused"):
        Bounded(failing, "x")()
