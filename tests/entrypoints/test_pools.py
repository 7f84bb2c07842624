"""The sandbox waits for the bot's work to finish, follow-ups included, without sleeping; each
task logs what its submitter bound."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.entrypoints import logs
from bot.entrypoints.pools import WorkTracker
from bot.entrypoints.sandbox.clock import VirtualClock


def test_idle_waits_for_work_and_the_work_it_hands_on() -> None:
    tracker = WorkTracker()
    first, then = tracker.pool(1, "lazy"), tracker.pool(1, "follow-up")
    release = threading.Event()
    done: list[str] = []

    def follow_up() -> None:
        release.wait(5)
        done.append("follow-up")

    def lazy() -> None:
        then.submit(follow_up)
        done.append("lazy")

    first.submit(lazy)
    assert not tracker.wait_idle(timeout=0.2)  # the follow-up is still held
    assert then.pending == 1
    release.set()
    assert tracker.wait_idle(timeout=5)
    assert done == ["lazy", "follow-up"]
    assert (first.pending, then.pending) == (0, 0)
    first.shutdown()
    then.shutdown()


def test_a_failing_task_still_counts_as_finished() -> None:
    tracker = WorkTracker()
    pool = tracker.pool(1, "lazy")
    future = pool.submit(lambda: 1 / 0)
    assert tracker.wait_idle(timeout=5)
    assert isinstance(future.exception(), ZeroDivisionError)
    pool.shutdown()


def test_work_logs_the_fields_bound_where_it_was_submitted() -> None:
    tracker = WorkTracker()
    lazy, then = tracker.pool(1, "lazy"), tracker.pool(1, "follow-up")
    formatter = logs.JsonFormatter(logs.Redactor())

    def line() -> dict[str, object]:
        """A line as this thread would log it now."""
        return dict(json.loads(formatter.format(logging.makeLogRecord({"msg": "work"}))))

    lazy.submit(line).result(5)  # the worker thread starts outside any request
    with logs.bound(request_id="r1"):
        outer = lazy.submit(lambda: (line(), then.submit(line)))
    own, handed_on = outer.result(5)
    assert own["request_id"] == "r1"
    assert handed_on.result(5)["request_id"] == "r1"
    with logs.bound(request_id="r2"):
        assert lazy.submit(line).result(5)["request_id"] == "r2"  # same thread, next request
    assert "request_id" not in lazy.submit(line).result(5)
    lazy.shutdown()
    then.shutdown()


def test_the_virtual_clock_only_moves_forward() -> None:
    start = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    clock = VirtualClock(start)
    clock.advance(timedelta(minutes=5))
    assert clock() == start + timedelta(minutes=5)
    with pytest.raises(ValueError, match="forward"):
        clock.move_to(start)
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(datetime(2026, 3, 14, 2, 0))
