"""Key-value facts the bot keeps about itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.db.tables import StateRow


class State:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        row = self.session.get(StateRow, key)
        return row.value if row else None

    def put(self, key: str, value: str, at: datetime) -> None:
        row = self.session.get(StateRow, key, with_for_update=True)
        if row is None:
            self.session.add(StateRow(key=key, value=value, updated_at=at))
        else:
            row.value, row.updated_at = value, at
        self.session.flush()
