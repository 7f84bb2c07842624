"""Readiness answers at once, even while Slack's API hangs: the token is asked again aside."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import Engine

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.entrypoints.health import Check, Health

NOW = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


class HangingIdentity:
    """auth.test failed once; asked again, it hangs until released (Slack's API hanging)."""

    def __init__(self) -> None:
        self.valid: bool | None = False
        self.checked_at: datetime | None = NOW - timedelta(minutes=5)
        self.asked_on: list[str] = []
        self.release = threading.Event()
        self.done = threading.Event()

    def check(self) -> bool:
        self.checked_at = NOW
        self.asked_on.append(threading.current_thread().name)
        self.release.wait(timeout=30)
        self.valid = True
        self.done.set()
        return True


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = engines.connect(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_a_hanging_slack_api_does_not_hold_readiness(database: Engine) -> None:
    identity = HangingIdentity()
    runner = SimpleNamespace(oldest_due=lambda now: None)
    ticker = cast(Any, SimpleNamespace(running=False, last_tick=None, runner=runner))
    health = Health(database, ticker, cast(Any, identity), lambda: NOW)

    first = health.checks()["slack"]  # returns while auth.test still hangs
    again = health.checks()["slack"]

    assert (first.ok, first.detail) == (False, "auth.test failed, asking Slack again")
    assert again == first
    assert identity.asked_on == ["slack-recheck"]  # once, and not on the probe's thread
    identity.release.set()
    assert identity.done.wait(timeout=10)
    assert health.checks()["slack"].ok


def test_a_database_that_hangs_is_not_ready_in_time_and_holds_no_probe(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hanging(engine: Engine) -> str | None:
        release.wait(timeout=30)
        return None

    monkeypatch.setattr(engines, "reachable", hanging)
    identity = HangingIdentity()
    identity.valid, identity.checked_at = True, NOW
    runner = SimpleNamespace(oldest_due=lambda now: None)
    ticker = cast(Any, SimpleNamespace(running=False, last_tick=None, runner=runner))
    health = Health(database, ticker, cast(Any, identity), lambda: NOW, probe_seconds=0.05)

    checks = health.checks()

    assert checks["database"] == Check(False, "not answering within 0.05 s")
    assert checks["migrations"].detail == checks["timers"].detail == "database down"
    assert checks["slack"].ok  # the other parts are still told
    release.set()
