"""Slack deliveries whose work has started: the first of a request's deliveries claims it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.adapters.db.tables import DeliveryRow


class Deliveries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, key: str, at: datetime) -> bool:
        """True for the first claim of ``key``, on any replica; False for every later one.

        One INSERT that does nothing on a clash, so two claims at once cannot both win."""
        dialect = self.session.get_bind().dialect.name
        insert: Any = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(DeliveryRow)
        claimed = self.session.scalar(
            insert.values(key=key, received_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(DeliveryRow.key)
        )
        return claimed is not None

    def forget_before(self, before: datetime) -> int:
        """Drop claims received before ``before`` (UTC); returns how many."""
        dropped = self.session.execute(delete(DeliveryRow).where(DeliveryRow.received_at < before))
        return int(getattr(dropped, "rowcount", 0))
