"""The Slack rate budget's buckets as ``bot_state`` rows, so every replica draws from one budget
(Slack's limits are per app, not per replica).

A row's value is its bucket's ``tat`` (``bot.adapters.slack.budget.slot``, epoch seconds as
text). A reservation is one upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), atomic on
its own (on PostgreSQL in autocommit: no BEGIN and COMMIT round trips around it): no lock is
held across the Slack call, and concurrent reservations queue on the row for a moment only.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, TextClause, bindparam, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.engine import POSTGRES_TIMEOUTS
from bot.adapters.db.types import UTCDateTime
from bot.services.ports import StorageUnavailable


def _dated(sql: str) -> TextClause:
    return text(sql).bindparams(bindparam("at", type_=UTCDateTime()))


# One statement, atomic on its own: a bucket's first call makes it (its slot at once), a later
# one takes the next slot no further off than max_wait; otherwise the row is left alone and
# nothing is returned.
_RESERVE = """
INSERT INTO bot_state (key, value, updated_at) VALUES (:key, CAST(:now + :interval AS TEXT), :at)
ON CONFLICT (key) DO UPDATE
SET value = CAST({greatest}(CAST(bot_state.value AS FLOAT), :now) + :interval AS TEXT),
    updated_at = :at
WHERE {greatest}(CAST(bot_state.value AS FLOAT), :now) - :tolerance - :now <= :max_wait
RETURNING value
"""
_PRUNE = text("DELETE FROM bot_state WHERE key LIKE :prefix AND updated_at < :before").bindparams(
    bindparam("before", type_=UTCDateTime())
)

CHANNEL_BUCKETS = "slack:chat.postMessage:%"
"""Buckets made per channel, one per incident channel: pruned once idle for PRUNE_AFTER."""
PRUNE_AFTER = timedelta(hours=1)


class SharedBuckets:
    """``budget.Buckets`` in the database behind ``engine`` (PostgreSQL; SQLite works too).

    On PostgreSQL the reservations have a small pool of their own, in autocommit and without
    a liveness query per checkout: a reservation precedes every Slack call, and through the
    bot's pool each cost a ping and two isolation-level switches besides the statement (a
    third of a declaration's CPU). A dead connection fails one reservation, which the budget
    then makes locally for a while (``budget.Budget``); ``close`` lets the pool go."""

    def __init__(self, engine: Engine) -> None:
        self._driver_sql: str | None = None
        if engine.dialect.name == "postgresql":
            engine = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=2,
                max_overflow=8,
                # a reservation lost with the database's last moments costs one slot reused
                connect_args={**POSTGRES_TIMEOUTS, "options": "-c synchronous_commit=off"},
            )
            # in the driver's own parameter style: a third of the CPU of a compiled text()
            self._driver_sql = re.sub(r":(\w+)", r"%(\1)s", _RESERVE.format(greatest="GREATEST"))
        self.engine = engine
        self._reserve = _dated(_RESERVE.format(greatest="MAX"))
        self._pruned_at: datetime | None = None

    def reserve(
        self, key: str, now: float, interval: float, tolerance: float, max_wait: float
    ) -> float | None:
        """The seconds to wait from ``now`` for the slot reserved in bucket ``key``; None
        (nothing reserved) when it is more than ``max_wait`` off. StorageUnavailable when the
        database cannot be reached or refuses."""
        at = datetime.fromtimestamp(now, UTC)
        asked = {
            "key": key,
            "now": now,
            "interval": interval,
            "tolerance": tolerance,
            "max_wait": max_wait,
            "at": at,
        }
        try:
            with self._statements() as connection:
                if self._driver_sql is None:
                    tat = connection.execute(self._reserve, asked).scalar_one_or_none()
                else:
                    result = connection.exec_driver_sql(self._driver_sql, asked)
                    tat = result.scalar_one_or_none()
            self._prune(at, now)
        except SQLAlchemyError as error:
            raise StorageUnavailable(str(error).splitlines()[0]) from error
        if tat is None:
            return None
        return max(float(tat) - interval - tolerance - now, 0.0)

    def _prune(self, at: datetime, now: float) -> None:
        if self._pruned_at is not None and at - self._pruned_at < PRUNE_AFTER:
            return
        self._pruned_at = at
        idle = {"prefix": CHANNEL_BUCKETS, "before": at - PRUNE_AFTER, "now": now}
        with self._statements() as connection:
            connection.execute(_PRUNE, idle)

    def _statements(self) -> AbstractContextManager[Connection]:
        """A connection whose statements each commit on their own (a reservation is one,
        atomic alone). SQLite queues its writers in transactions (``engine.Writers``): one
        there."""
        if self.engine.dialect.name != "postgresql":
            return self.engine.begin()
        return self.engine.connect()  # its engine commits each statement

    def close(self) -> None:
        """Let go of the reservations' own connections (PostgreSQL's)."""
        if self.engine.dialect.name == "postgresql":
            self.engine.dispose()
