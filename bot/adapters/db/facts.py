"""Key-value facts the bot keeps about itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from bot.adapters.db.tables import StateRow


class Facts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        row = self.session.get(StateRow, key)
        return row.value if row else None

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(StateRow)

    def lock(self, key: str, default: str, at: datetime) -> StateRow:
        """The row of ``key`` (created with ``default`` if missing), locked until commit.

        Creating and locking is one race-free step: an INSERT that does nothing when another
        transaction created the row first, then SELECT ... FOR UPDATE.
        """
        self.session.execute(
            self._insert()
            .values(key=key, value=default, updated_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = self.session.get(StateRow, key, with_for_update=True, populate_existing=True)
        assert row is not None
        return row

    def put(self, key: str, value: str, at: datetime) -> None:
        """Set ``key``; one step however many replicas set it at once (two replicas starting
        together on a new database both record the playbooks they planned with)."""
        insert = self._insert().values(key=key, value=value, updated_at=at)
        self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
            ),
            execution_options={"synchronize_session": False},
        )
        cached = self.session.identity_map.get(identity_key(StateRow, key))
        if cached is not None:
            self.session.expire(cached)  # a later get() reads what was just written
