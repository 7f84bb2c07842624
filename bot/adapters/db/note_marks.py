"""What keeps each channel message noted: its pin, and each person's :pushpin:."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.adapters.db.tables import NoteMarkRow


class NoteMarks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def mark(self, channel: str, ts: str, marker: str) -> None:
        """Add ``marker`` to the message's marks (once, however often it is added)."""
        dialect = self.session.get_bind().dialect.name
        insert: Any = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(NoteMarkRow)
        self.session.execute(
            insert.values(channel=channel, ts=ts, marker=marker).on_conflict_do_nothing()
        )

    def unmark(self, channel: str, ts: str, marker: str) -> int:
        """Remove ``marker``; how many marks the message still has."""
        self.session.execute(
            delete(NoteMarkRow).where(
                NoteMarkRow.channel == channel, NoteMarkRow.ts == ts, NoteMarkRow.marker == marker
            )
        )
        left = self.session.scalar(
            select(func.count())
            .select_from(NoteMarkRow)
            .where(NoteMarkRow.channel == channel, NoteMarkRow.ts == ts)
        )
        return int(left or 0)
