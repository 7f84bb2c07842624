"""A loop's failure repeating every round is told once when it starts, reminded at most every
few minutes, and told once when it ends (a database outage does not flood the log)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.entrypoints.checkpoints import Checkpoints
from bot.entrypoints.outages import Outage
from bot.entrypoints.ticker import Ticker
from bot.services.timers import Fired, TimerRunner

NOW = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


def unreachable() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


class DownRunner:
    """A runner whose database is down until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False

    def tick(self, now: datetime) -> list[Fired]:
        if not self.up:
            raise unreachable()
        return []

    def next_fire_at(self) -> datetime | None:
        return None


def test_a_database_outage_is_one_line_when_it_starts_and_one_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = DownRunner()
    fake: TimerRunner = runner  # type: ignore[assignment]
    ticker = Ticker(fake, lambda: NOW, poll=timedelta(seconds=1))
    with caplog.at_level(logging.INFO, logger="bot.entrypoints.ticker"):
        for _ in range(120):  # two minutes of polls
            ticker.tick()
        runner.up = True
        ticker.tick()
        ticker.tick()
    started, ended = caplog.records
    assert started.getMessage() == "timer tick failing"
    assert started.exc_info is None  # one line, no traceback
    assert started.__dict__["error"].startswith("ConnectionRefusedError")
    assert "connection refused" in started.__dict__["error"]
    assert ended.getMessage() == "timer tick working again"
    assert ended.__dict__["failures"] == 120


def test_while_it_lasts_it_is_said_again_at_most_every_few_minutes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    outage = Outage("thing", logging.getLogger("t"), (OperationalError,), 300, lambda: clock[0])
    with caplog.at_level(logging.INFO, logger="t"):
        for second in range(901):  # 15 minutes, once a second
            clock[0] = float(second)
            outage.failed(unreachable())
    assert [r.getMessage() for r in caplog.records] == ["thing failing"] + [
        "thing still failing"
    ] * 3
    assert caplog.records[-1].__dict__["failures"] == 901


def test_an_unexpected_error_carries_its_traceback_once_and_a_new_kind_is_said(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Outage("thing", logging.getLogger("t"), (OperationalError,), 300, lambda: 0.0)
    with caplog.at_level(logging.INFO, logger="t"):
        for _ in range(5):
            outage.failed(KeyError("x"))
        outage.failed(unreachable())
        outage.ok()
        outage.ok()
    first, changed, ended = caplog.records
    assert first.exc_info is not None
    assert changed.getMessage() == "thing still failing" and changed.exc_info is None
    assert ended.getMessage() == "thing working again"


def test_checkpoints_that_cannot_be_written_are_told_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Down:
        def __call__(self) -> object:
            raise unreachable()

    writer = Checkpoints(Down(), b"k" * 32, lambda: NOW, every=5)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="bot.entrypoints.checkpoints"):
        for _ in range(50):
            assert writer.write() is None
    [record] = caplog.records
    assert record.getMessage() == "audit checkpoint (reading the database) failing"


def test_stopping_waits_for_the_last_checkpoint_no_longer_than_it_is_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database that stopped answering holds the last checkpoint: stop() says so and
    returns at its bound instead of holding the process's exit for ever."""
    import threading

    released = threading.Event()

    class Hung:
        def __call__(self) -> object:
            released.wait(30)
            raise unreachable()

    writer = Checkpoints(Hung(), b"k" * 32, lambda: NOW, every=3600)  # type: ignore[arg-type]
    writer.start()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.entrypoints.checkpoints"):
            assert writer.stop(timeout=0.2) is False
        assert "not written within" in caplog.text
    finally:
        released.set()
