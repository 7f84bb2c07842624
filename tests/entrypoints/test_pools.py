"""The sandbox waits for the bot's work to finish, follow-ups included, without sleeping; each
task logs what its submitter bound."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.entrypoints import logs
from bot.entrypoints.app import Runtime
from bot.entrypoints.pools import WorkTracker, at_once, drain
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


def test_a_drain_is_bounded_and_says_what_it_left() -> None:
    tracker = WorkTracker()
    lazy, then = tracker.pool(1, "lazy"), tracker.pool(1, "follow-up")
    stuck, quick = threading.Event(), threading.Event()
    lazy.submit(stuck.wait, 30)  # Slack answering slowly
    lazy.submit(quick.set)  # queued behind it
    then.submit(lambda: None)
    started = time.monotonic()
    left = drain(tracker, [lazy, then], 0.2)
    assert time.monotonic() - started < 5  # not the 30 s the work would take
    assert left == {"lazy": 2}
    stuck.set()
    lazy.shutdown(wait=True)
    assert not quick.is_set()  # the queued work was dropped, not run after the drain


def test_closing_drains_the_work_before_the_last_checkpoint() -> None:
    tracker = WorkTracker()
    lazy, then = tracker.pool(1, "lazy"), tracker.pool(1, "follow-up")
    room_calls = tracker.pool(2, "room")
    said: list[str] = []
    release = threading.Event()

    def work() -> None:  # a declaration still opening its room: its calls made at once
        release.wait(5)
        at_once(room_calls)([lambda: None, lambda: said.append("work done")])

    class Checkpoints:
        def stop(self, timeout: float) -> bool:
            said.append("last checkpoint")
            return True

    class Ticker:
        running = True

        def stop(self, timeout: float) -> None:  # closing began: the work may finish now
            self.running = False
            release.set()

    lazy.submit(work)
    fake = SimpleNamespace(
        settings=SimpleNamespace(shutdown_drain_seconds=10.0),
        ticker=Ticker(),
        checkpoints=Checkpoints(),
        workers=lazy,
        followups=then,
        work=tracker,
        room_calls=room_calls,
        engine=SimpleNamespace(dispose=lambda: said.append("disposed")),
        rate_buckets=None,
    )
    assert Runtime.close(fake) == {}  # type: ignore[arg-type]
    assert said == ["work done", "last checkpoint", "disposed"]


def test_a_timer_tick_still_firing_at_the_bound_is_reported_so_the_process_exits() -> None:
    tracker = WorkTracker()

    class Stuck:  # a tick whose firings wait on a slow Slack past the drain bound
        running = True

        def stop(self, timeout: float) -> None:
            return None

    said: list[str] = []
    fake = SimpleNamespace(
        settings=SimpleNamespace(shutdown_drain_seconds=0.0),
        ticker=Stuck(),
        checkpoints=None,
        workers=tracker.pool(1, "lazy"),
        followups=tracker.pool(1, "follow-up"),
        work=tracker,
        room_calls=tracker.pool(1, "room"),
        engine=SimpleNamespace(dispose=lambda: said.append("disposed")),
        rate_buckets=None,
    )

    left = Runtime.close(fake)  # type: ignore[arg-type]

    assert left == {"timer tick": 1}  # serve exits at once rather than join its threads
    assert said == ["disposed"]


def test_pieces_run_at_once_are_all_running_together_before_any_returns() -> None:
    pool = WorkTracker().pool(2, "room")
    started = threading.Barrier(3, timeout=5)  # broken (an error) unless all 3 run together
    threads: set[int] = set()

    def piece() -> None:
        threads.add(threading.get_ident())
        started.wait()

    at_once(pool)([piece, piece, piece])

    assert len(threads) == 3
    assert threading.get_ident() in threads  # the first in the caller's own thread


def test_a_failed_piece_is_raised_after_every_other_piece_finished() -> None:
    pool = WorkTracker().pool(2, "room")
    release = threading.Event()
    finished: list[str] = []

    def fails() -> None:
        raise ValueError("slack said no")

    def slow() -> None:
        release.wait(5)
        finished.append("slow")

    pool.submit(lambda: release.set())
    with pytest.raises(ValueError, match="slack said no"):
        at_once(pool)([fails, slow, lambda: finished.append("quick")])
    assert sorted(finished) == ["quick", "slow"]
