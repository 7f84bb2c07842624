"""Deadlines as the core last computed them, mirrored into rows the scheduler can query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db import seals
from bot.adapters.db.tables import DeadlineRow
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.core.deadlines import Deadline
from bot.core.model import Severity


def _to_domain(row: DeadlineRow) -> Deadline:
    return Deadline(
        key=row.key,
        kind=DeadlineKind(row.kind),
        severity=Severity(row.severity),
        opened_at=row.opened_at,
        due_at=row.due_at,
        status=DeadlineStatus(row.status),
        met_at=row.met_at,
        cancelled_at=row.cancelled_at,
    )


def _copy(deadline: Deadline, row: DeadlineRow) -> None:
    row.kind = str(deadline.kind)
    row.severity = str(deadline.severity)
    row.opened_at = deadline.opened_at
    row.due_at = deadline.due_at
    row.status = str(deadline.status)
    row.met_at = deadline.met_at
    row.cancelled_at = deadline.cancelled_at


class Deadlines:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sync(
        self, incident_id: int, deadlines: Iterable[Deadline], fresh: bool = False
    ) -> list[Deadline]:
        """Make the incident's rows say what the core computed (insert new keys, update others;
        ``fresh``: it has none yet, nothing to read).

        Returns the deadlines whose status changed (or that are new).
        """
        existing = {
            row.key: row
            for row in (
                ()
                if fresh
                else self.session.scalars(
                    select(DeadlineRow).where(DeadlineRow.incident_id == incident_id)
                )
            )
        }
        changed = []
        added: list[DeadlineRow] = []
        for deadline in deadlines:
            row = existing.get(deadline.key)
            if row is None:
                row = DeadlineRow(incident_id=incident_id, key=deadline.key)
                added.append(row)
            elif row.status == str(deadline.status):
                _copy(deadline, row)
                continue
            changed.append(deadline)
            _copy(deadline, row)
        seals.insert(self.session, added)  # nothing reads them back as objects
        if not fresh:
            self.session.flush()
        return changed

    def for_incident(self, incident_id: int) -> list[Deadline]:
        rows = self.session.scalars(
            select(DeadlineRow)
            .where(DeadlineRow.incident_id == incident_id)
            .order_by(DeadlineRow.due_at, DeadlineRow.id)
        )
        return [_to_domain(row) for row in rows]

    def overdue(self, now: datetime) -> list[tuple[int, Deadline]]:
        """Pending deadlines whose due time has passed, oldest first, with their incident id."""
        rows = self.session.scalars(
            select(DeadlineRow)
            .where(DeadlineRow.status == str(DeadlineStatus.PENDING), DeadlineRow.due_at < now)
            .order_by(DeadlineRow.due_at, DeadlineRow.id)
        )
        return [(row.incident_id, _to_domain(row)) for row in rows]
