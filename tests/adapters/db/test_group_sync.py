"""SQLite's group commit: a write's COMMIT returns once its WAL frames are flushed, one flush
shared by every commit made before it began, and the next writer is not held by the flush."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.adapters.db import engine as engines


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = engines.connect(f"sqlite:///{tmp_path}/group.sqlite3")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE notes (text VARCHAR NOT NULL)"))
    return made


def flushed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files os.fsync flushes from now on, by path."""
    flushed: list[str] = []
    real = os.fsync

    def recording(descriptor: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real(descriptor)

    monkeypatch.setattr(engines.os, "fsync", recording)
    return flushed


def test_a_committed_write_has_its_wal_flushed_before_commit_returns(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed = flushed_files(monkeypatch)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('a')"))
        assert flushed == []  # not before the commit
    assert flushed == [str(tmp_path / "group.sqlite3-wal")]


def test_connections_commit_without_sqlites_own_flush(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_read_or_a_rollback_flushes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed = flushed_files(monkeypatch)
    with engines.reading(engine) as connection:
        connection.execute(text("SELECT count(*) FROM notes"))
        connection.commit()
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('a')"))
        connection.rollback()
    assert flushed == []


def test_an_in_memory_database_has_nothing_to_flush() -> None:
    assert engines.GroupSync.of(":memory:") is None
    assert engines.GroupSync.of(None) is None


class HeldFlush(engines.GroupSync):
    """A group sync whose flushes wait to be let go, counting the commits each covers."""

    def __init__(self) -> None:
        super().__init__("unused-wal")
        self.started = threading.Semaphore(0)
        self.let_go = threading.Semaphore(0)
        self.flushes = 0

    def _flush(self) -> None:
        self.flushes += 1
        self.started.release()
        self.let_go.acquire()


def test_commits_made_while_a_flush_runs_share_the_next_one() -> None:
    group = HeldFlush()
    first = threading.Thread(target=group.sync)
    first.start()
    group.started.acquire()  # the first committer's flush is running
    waiters = [threading.Thread(target=group.sync) for _ in range(5)]
    for waiter in waiters:
        waiter.start()
    group.let_go.release()  # the first flush ends; it began before the five committed
    first.join()
    group.started.acquire()  # so one more flush, for all five
    assert all(waiter.is_alive() for waiter in waiters)
    group.let_go.release()
    for waiter in waiters:
        waiter.join()
    assert group.flushes == 2


def test_the_next_writer_goes_in_while_the_last_commit_is_flushed(tmp_path: Path) -> None:
    engine = engines.connect(f"sqlite:///{tmp_path}/held.sqlite3")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (text VARCHAR NOT NULL)"))
    group = HeldFlush()
    engines.WRITERS[engine]._durable = group

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('a')"))

    committing = threading.Thread(target=write)
    committing.start()
    group.started.acquire()  # committed, its flush held
    assert not engines.WRITERS[engine].held
    second = threading.Thread(target=write)
    second.start()
    group.let_go.release()
    committing.join()
    group.started.acquire()
    group.let_go.release()
    second.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 2
