"""Alerts from Alertmanager: stored as reported, so what is new can be told from a repeat."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import AlertRow
from bot.core.alerts import Alert


def _to_domain(row: AlertRow) -> Alert:
    return Alert(
        fingerprint=row.fingerprint,
        status=row.status,
        name=row.name,
        severity=row.severity,
        service=row.service,
        summary=row.summary,
        labels=dict(row.labels),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        url=row.url,
    )


class Alerts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, alert: Alert, now: datetime) -> bool:
        """Store or update ``alert``; True when it is newly firing (new, or firing again)."""
        row = self.session.scalar(
            select(AlertRow).where(
                AlertRow.fingerprint == alert.fingerprint, AlertRow.starts_at == alert.starts_at
            )
        )
        newly_firing = alert.status == "firing" and (row is None or row.status != "firing")
        if row is None:
            row = AlertRow(fingerprint=alert.fingerprint, starts_at=alert.starts_at)
            self.session.add(row)
        row.status, row.name, row.severity = alert.status, alert.name, alert.severity
        row.service, row.summary, row.labels = alert.service, alert.summary, dict(alert.labels)
        row.ends_at, row.url, row.updated_at = alert.ends_at, alert.url, now
        self.session.flush()
        return newly_firing

    def firing(self, services: Collection[str]) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow)
            .where(AlertRow.status == "firing", AlertRow.service.in_(list(services)))
            .order_by(AlertRow.starts_at.desc())
        )
        return [_to_domain(row) for row in rows]

    def find(self, fingerprint: str) -> Alert | None:
        row = self.session.scalar(
            select(AlertRow)
            .where(AlertRow.fingerprint == fingerprint)
            .order_by(AlertRow.starts_at.desc())
            .limit(1)
        )
        return _to_domain(row) if row else None
