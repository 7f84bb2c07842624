"""Status updates as posted: the protocol's sentence and the parts it was made from."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import StatusUpdateRow
from bot.services.records import StatusUpdate


class PostedUpdates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, incident_id: int, update: StatusUpdate) -> None:
        self.session.add(
            StatusUpdateRow(
                incident_id=incident_id,
                posted_at=update.posted_at,
                author=update.author,
                impact=update.impact,
                affected=update.affected,
                action=update.action,
                next_update_seconds=int(update.next_update.total_seconds()),
                text=update.text,
            )
        )
        self.session.flush()

    def for_incident(self, incident_id: int) -> list[StatusUpdate]:
        rows = self.session.scalars(
            select(StatusUpdateRow)
            .where(StatusUpdateRow.incident_id == incident_id)
            .order_by(StatusUpdateRow.posted_at, StatusUpdateRow.id)
        )
        return [
            StatusUpdate(
                posted_at=row.posted_at,
                author=row.author,
                impact=row.impact,
                affected=row.affected,
                action=row.action,
                next_update=timedelta(seconds=row.next_update_seconds),
                text=row.text,
            )
            for row in rows
        ]
