"""Review r20b: read-only work on SQLite that still queues behind writers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.adapters.db import engine as engines


def test_the_readiness_probe_does_not_wait_for_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # engines.reachable (bot/entrypoints/health.py's database check, /readyz) only reads, but
    # its connection begins with BEGIN IMMEDIATE and so queues on Writers behind every write
    # transaction of the process: under a burst /readyz answers after the queue (its probe
    # times out after 3 s), and a writer held BUSY_SECONDS makes it report the database
    # unreachable. Shortened here from 15 s to 1 s so that the failure shows quickly.
    monkeypatch.setattr(engines, "BUSY_SECONDS", 1)
    engine = engines.connect(f"sqlite:///{tmp_path}/ready.sqlite3")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (text VARCHAR NOT NULL)"))
    answers: list[tuple[str | None, float]] = []

    def probe() -> None:
        started = time.monotonic()
        answers.append((engines.reachable(engine), time.monotonic() - started))

    with engine.connect() as writing:
        writing.execute(text("INSERT INTO notes VALUES ('a')"))
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join(5)
        writing.commit()
    [(failure, took)] = answers
    assert failure is None
    assert took < 0.5
