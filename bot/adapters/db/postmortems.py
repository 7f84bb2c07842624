"""Post-mortems: the latest draft, and where the published document lives."""

from __future__ import annotations

from collections.abc import Iterator
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
            draft=row.draft,
            drafted_at=row.drafted_at,
            published_url=row.published_url,
            published_at=row.published_at,
            published_by=row.published_by,
        )

    def drafted(self, incident_id: int, draft: str, at: datetime) -> None:
        row = self._row_or_new(incident_id)
        row.draft, row.drafted_at = draft, at
        self.session.flush()

    def published(self, incident_id: int, url: str, by: str, at: datetime) -> None:
        row = self._row_or_new(incident_id)
        row.published_url, row.published_by, row.published_at = url, by, at
        self.session.flush()

    def drafts(self, incident_id: int | None = None) -> Iterator[tuple[int, str]]:
        """(incident id, draft) of every drafted post-mortem, or of one incident's, by id."""
        query = select(PostmortemRow.incident_id, PostmortemRow.draft).where(
            PostmortemRow.draft.is_not(None)
        )
        if incident_id is not None:
            query = query.where(PostmortemRow.incident_id == incident_id)
        for number, draft in self.session.execute(query.order_by(PostmortemRow.incident_id)):
            yield int(number), str(draft)

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
