"""Status page incidents: each incident's incident on the public page, and who is sending."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import StatusPageRow
from bot.core.status_page import PageIncident, PageStatus
from bot.services.records import PageRecord


def _to_domain(row: StatusPageRow) -> PageRecord:
    page = (
        PageIncident(row.page_incident_id, PageStatus(row.status or "investigating"), row.url or "")
        if row.page_incident_id
        else None
    )
    return PageRecord(page, row.busy_key, row.busy_by, row.busy_since)


class StatusPages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, incident_id: int) -> PageRecord | None:
        row = self._row(incident_id)
        return None if row is None else _to_domain(row)

    def claim(self, incident_id: int, key: str, by: str, at: datetime) -> None:
        row = self._row_or_new(incident_id, at)
        row.busy_key, row.busy_by, row.busy_since, row.updated_at = key, by, at, at
        self.session.flush()

    def release(self, incident_id: int) -> None:
        row = self._row(incident_id)
        if row is not None:
            row.busy_key = row.busy_by = None
            row.busy_since = None
            self.session.flush()

    def sent(self, incident_id: int, page: PageIncident, at: datetime) -> None:
        row = self._row_or_new(incident_id, at)
        row.page_incident_id, row.status, row.url = page.id, str(page.status), page.url
        row.busy_key = row.busy_by = None
        row.busy_since = None
        row.updated_at = at
        self.session.flush()

    def _row(self, incident_id: int) -> StatusPageRow | None:
        return self.session.scalar(
            select(StatusPageRow).where(StatusPageRow.incident_id == incident_id)
        )

    def _row_or_new(self, incident_id: int, at: datetime) -> StatusPageRow:
        row = self._row(incident_id)
        if row is None:
            row = StatusPageRow(incident_id=incident_id, updated_at=at)
            self.session.add(row)
        return row
