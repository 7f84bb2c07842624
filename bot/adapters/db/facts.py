"""Key-value facts the bot keeps about itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.adapters.db.tables import StateRow


class Facts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        row = self.session.get(StateRow, key)
        return row.value if row else None

    def lock(self, key: str, default: str, at: datetime) -> StateRow:
        """The row of ``key`` (created with ``default`` if missing), locked until commit.

        Creating and locking is one race-free step: an INSERT that does nothing when another
        transaction created the row first, then SELECT ... FOR UPDATE.
        """
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            insert(StateRow)
            .values(key=key, value=default, updated_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = self.session.get(StateRow, key, with_for_update=True, populate_existing=True)
        assert row is not None
        return row

    def put(self, key: str, value: str, at: datetime) -> None:
        row = self.session.get(StateRow, key, with_for_update=True)
        if row is None:
            self.session.add(StateRow(key=key, value=value, updated_at=at))
        else:
            row.value, row.updated_at = value, at
        self.session.flush()
