"""Readiness: what GET /readyz checks, each part named so a 503 says what is wrong."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.adapters.db import engine as engines
from bot.adapters.db import schema
from bot.adapters.slack.identity import BotIdentity
from bot.entrypoints.bounded import PROBE_SECONDS, Bounded, NotAnswered
from bot.entrypoints.ticker import Ticker


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


class Health:
    def __init__(
        self,
        engine: Engine,
        ticker: Ticker,
        identity: BotIdentity,
        clock: Callable[[], datetime],
        recheck_slack: timedelta = timedelta(minutes=1),
        stalled_after: timedelta = timedelta(minutes=2),
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        self.engine = engine
        self.ticker = ticker
        self.identity = identity
        self.clock = clock
        self.recheck_slack = recheck_slack
        # A timer due this long and still not fired means they are stalled: longer than a
        # failing firing's retries (about 90 s) and any lease.
        self.stalled_after = stalled_after
        self._guard = threading.Lock()
        self._rechecking: threading.Thread | None = None
        self._stored = Bounded(self._storage_checks, "database", probe_seconds)

    def checks(self) -> dict[str, Check]:
        """Each part's check; those asking the database wait for it ``probe_seconds`` at
        most (one that hangs is "not answering", never a probe that hangs with it)."""
        try:
            stored = self._stored()
        except NotAnswered:
            down = Check(False, "database down")
            waited = f"not answering within {self._stored.seconds:g} s"
            stored = {"database": Check(False, waited), "migrations": down, "timers": down}
        return {
            "database": stored["database"],
            "migrations": stored["migrations"],
            "scheduler": self._scheduler(),
            "timers": stored["timers"],
            "slack": self._slack(),
        }

    def _storage_checks(self) -> dict[str, Check]:
        database = self._database()
        return {
            "database": database,
            "migrations": self._migrations() if database.ok else Check(False, "database down"),
            "timers": self._timers() if database.ok else Check(False, "database down"),
        }

    def _database(self) -> Check:
        failure = engines.reachable(self.engine)
        if failure is not None:
            return Check(False, f"unreachable ({failure})")
        return Check(True, self.engine.dialect.name)

    def _migrations(self) -> Check:
        found = schema.inspect(self.engine)
        return Check(found.usable, found.advice())

    def _scheduler(self) -> Check:
        if not self.ticker.running:
            return Check(False, "not running")
        last = self.ticker.last_tick
        allowed = self.ticker.poll * 3 + timedelta(seconds=30)
        if last is None or self.clock() - last > allowed:
            return Check(False, f"no tick since {last.isoformat() if last else 'start-up'}")
        return Check(True, f"last tick {last.isoformat()}")

    def _timers(self) -> Check:
        now = self.clock()
        oldest = self.ticker.runner.oldest_due(now)
        if oldest is not None and now - oldest > self.stalled_after:
            due = self.ticker.runner.due_count(now)
            return Check(False, f"{due} due and not fired, the oldest since {oldest.isoformat()}")
        return Check(True, "none waiting" if oldest is None else f"due since {oldest.isoformat()}")

    def _slack(self) -> Check:
        checked = self.identity.checked_at
        if not self.identity.valid and (
            checked is None or self.clock() - checked > self.recheck_slack
        ):
            self._recheck()
        if self.identity.valid:
            return Check(True, "auth.test passed")
        if self._rechecking is not None and self._rechecking.is_alive():
            return Check(False, "auth.test failed, asking Slack again")
        return Check(False, "auth.test failed: check SLACK_BOT_TOKEN and SLACK_API_URL")

    def _recheck(self) -> None:
        """Ask Slack again in the background: a probe answers at once even while Slack's API
        hangs (the client's timeout is 10 s, longer than any probe waits)."""
        with self._guard:
            if self._rechecking is not None and self._rechecking.is_alive():
                return
            self._rechecking = threading.Thread(
                target=self.identity.check, name="slack-recheck", daemon=True
            )
            self._rechecking.start()
