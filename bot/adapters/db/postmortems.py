"""Post-mortems: where the draft was written and where the published document lives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import PostmortemRow
from bot.services.records import Postmortem


class Postmortems:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, incident_id: int) -> Postmortem | None:
        row = self._row(incident_id)
        if row is None:
            return None
        return Postmortem(
            draft_path=row.draft_path,
            drafted_at=row.drafted_at,
            published_url=row.published_url,
            published_at=row.published_at,
            published_by=row.published_by,
        )

    def drafted(self, incident_id: int, path: str, at: datetime) -> None:
        row = self._row_or_new(incident_id)
        row.draft_path, row.drafted_at = path, at
        self.session.flush()

    def published(self, incident_id: int, url: str, by: str, at: datetime) -> None:
        row = self._row_or_new(incident_id)
        row.published_url, row.published_by, row.published_at = url, by, at
        self.session.flush()

    def _row(self, incident_id: int) -> PostmortemRow | None:
        return self.session.scalar(
            select(PostmortemRow).where(PostmortemRow.incident_id == incident_id)
        )

    def _row_or_new(self, incident_id: int) -> PostmortemRow:
        row = self._row(incident_id)
        if row is None:
            row = PostmortemRow(incident_id=incident_id)
            self.session.add(row)
        return row
