"""The Slack rate budget's buckets as ``bot_state`` rows, so every replica draws from one budget
(Slack's limits are per app, not per replica).

A row's value is its bucket's ``tat`` (``bot.adapters.slack.budget.slot``, epoch seconds as
text). A reservation is one UPDATE ... RETURNING, atomic on its own (on PostgreSQL in autocommit:
no BEGIN and COMMIT round trips around it): no lock is held across the Slack call, and
concurrent reservations queue on the row for a moment only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, TextClause, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.types import UTCDateTime
from bot.services.ports import StorageUnavailable


def _dated(sql: str) -> TextClause:
    return text(sql).bindparams(bindparam("at", type_=UTCDateTime()))


# Only a slot no further off than max_wait is taken; the row is left alone otherwise.
_RESERVE = """
UPDATE bot_state
SET value = CAST({greatest}(CAST(value AS FLOAT), :now) + :interval AS TEXT), updated_at = :at
WHERE key = :key AND {greatest}(CAST(value AS FLOAT), :now) - :tolerance - :now <= :max_wait
RETURNING value
"""
_CREATE = _dated("""
INSERT INTO bot_state (key, value, updated_at) VALUES (:key, '0', :at)
ON CONFLICT (key) DO NOTHING
""")
_EXISTS = text("SELECT 1 FROM bot_state WHERE key = :key")
_PRUNE = text("DELETE FROM bot_state WHERE key LIKE :prefix AND updated_at < :before").bindparams(
    bindparam("before", type_=UTCDateTime())
)

CHANNEL_BUCKETS = "slack:chat.postMessage:%"
"""Buckets made per channel, one per incident channel: pruned once idle for PRUNE_AFTER."""
PRUNE_AFTER = timedelta(hours=1)


class SharedBuckets:
    """``budget.Buckets`` in the database behind ``engine`` (PostgreSQL; SQLite works too)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        greatest = "GREATEST" if engine.dialect.name == "postgresql" else "MAX"
        self._reserve = _dated(_RESERVE.format(greatest=greatest))
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
                tat = connection.execute(self._reserve, asked).scalar_one_or_none()
                if tat is None and connection.execute(_EXISTS, asked).first() is None:
                    connection.execute(_CREATE, asked)  # the bucket's first call
                    tat = connection.execute(self._reserve, asked).scalar_one_or_none()
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
        """A connection whose statements each commit on their own: each is atomic alone (a
        bucket's first call inserts it, doing nothing if another replica just did, then
        reserves). SQLite queues its writers in transactions (``engine.Writers``): one there."""
        if self.engine.dialect.name != "postgresql":
            return self.engine.begin()
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
