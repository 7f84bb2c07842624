"""Acknowledgements first: the work after an ack steps aside while other acks are in flight."""

from __future__ import annotations

import threading
import time

from bot.pools import WorkTracker
from bot.slack.priority import AckFirst, BacklogFirst


def test_work_waits_for_the_acks_in_flight_then_goes() -> None:
    gate = AckFirst(max_wait=5)
    released = threading.Event()
    order: list[str] = []

    def ack() -> None:
        with gate.acking():
            released.wait(5)
            order.append("ack")

    acking = threading.Thread(target=ack)
    acking.start()
    while gate._in_flight == 0:
        time.sleep(0.001)
    work = threading.Thread(target=lambda: (gate.step_aside(), order.append("work")))
    work.start()
    time.sleep(0.05)
    assert order == []  # the work is waiting
    released.set()
    acking.join()
    work.join()
    assert order == ["ack", "work"]


def test_stepping_aside_is_bounded_and_free_when_idle() -> None:
    gate = AckFirst(max_wait=1.0)
    started = time.perf_counter()
    gate.step_aside()
    assert time.perf_counter() - started < 0.5  # nothing in flight: no wait at all
    gate.max_wait = 0.05
    with gate.acking():
        started = time.perf_counter()
        gate.step_aside()  # an ack in flight: it waits, but gives up after max_wait
        assert time.perf_counter() - started >= 0.05


def test_follow_ups_do_not_wait_on_a_pool_that_has_shut_down() -> None:
    """A stopping bot finishes its follow-ups at once: a shut-down pool holds no backlog."""
    tracker = WorkTracker()
    workers = tracker.pool(2, "lazy")
    workers.submit(lambda: None)
    workers.shutdown(wait=True)
    gate = BacklogFirst(workers.wait_empty, max_wait=5)
    started = time.monotonic()
    gate.wait()
    assert time.monotonic() - started < 0.5
