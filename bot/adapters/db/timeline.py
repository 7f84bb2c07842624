"""The append-only incident timeline: every event, in order, never updated or deleted."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.db import audit, seals
from bot.adapters.db.tables import EventRow
from bot.core.model import Event, EventKind, Severity
from bot.services.ports import Conflict


def _to_domain(row: EventRow) -> Event:
    return Event(
        seq=row.seq,
        at=row.at,
        kind=EventKind(row.kind),
        actor=row.actor,
        severity=Severity(row.severity) if row.severity else None,
        subject=row.subject,
        next_update=(
            timedelta(seconds=row.next_update_seconds)
            if row.next_update_seconds is not None
            else None
        ),
        text=row.text,
        extra=dict(row.extra),
    )


def _to_row(incident_id: int, event: Event) -> EventRow:
    return EventRow(
        incident_id=incident_id,
        seq=event.seq,
        at=event.at,
        kind=str(event.kind),
        actor=event.actor,
        severity=str(event.severity) if event.severity else None,
        subject=event.subject,
        next_update_seconds=(
            int(event.next_update.total_seconds()) if event.next_update is not None else None
        ),
        text=event.text,
        extra=dict(event.extra),
    )


class Timeline:
    """The timeline table, read and appended to within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, incident_id: int, event: Event, head: str, once: str | None = None) -> str:
        """Store ``event``, chained to ``head`` (the hash of the incident's newest entry, "" for
        its first: the caller holds the incident's row lock); its ``seq`` must be the next one.
        Returns its hash, the incident's new head.

        ``once`` is a key no other entry may have: Conflict if one has (nothing is stored)."""
        row = _to_row(incident_id, event)
        row.once_key = once
        hashed = audit.chain(self.session, row, head)
        if once is None:  # nothing to clash with: written in bulk, not built by the ORM
            seals.insert(self.session, [row])
            return hashed
        self.session.add(row)  # a clash fails the flush: the transaction must be rolled back
        try:
            self.session.flush()
        except IntegrityError as clash:
            if "once_key" not in str(clash.orig):  # the constraint's name
                raise
            raise Conflict(f"{once} happened already") from clash
        return hashed

    def events(self, incident_id: int) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow).where(EventRow.incident_id == incident_id).order_by(EventRow.seq)
        )
        return [_to_domain(row) for row in rows]

    def events_of(self, incident_ids: Select[Any] | Collection[int]) -> dict[int, list[Event]]:
        """The events of every incident ``incident_ids`` selects or lists, by incident, in
        order: one statement however many there are."""
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.incident_id.in_(incident_ids))
            .order_by(EventRow.incident_id, EventRow.seq)
        )
        found: dict[int, list[Event]] = {}
        for row in rows:
            found.setdefault(row.incident_id, []).append(_to_domain(row))
        return found
