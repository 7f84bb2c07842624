"""The record insights read: every incident declared in a period, with its timeline, in two
queries (incidents, then their events), planned against the playbooks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import EventRow, IncidentRow
from bot.core import deadlines, model
from bot.core.insights import Record
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import Policies

_COLUMNS = (
    EventRow.incident_id,
    EventRow.seq,
    EventRow.at,
    EventRow.kind,
    EventRow.actor,
    EventRow.severity,
    EventRow.subject,
    EventRow.next_update_seconds,
    EventRow.text,
    EventRow.extra,
)


def _event(row: Any) -> Event:
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


def timelines(
    session: Session, since: datetime, until: datetime
) -> Iterator[tuple[int, list[Event]]]:
    """(incident id, its events in order) of each incident declared in [since, until)."""
    declared = select(IncidentRow.id).where(
        IncidentRow.declared_at >= since, IncidentRow.declared_at < until
    )
    rows = session.execute(
        select(*_COLUMNS)
        .where(EventRow.incident_id.in_(declared))
        .order_by(EventRow.incident_id, EventRow.seq)
    )
    for incident_id, group in itertools.groupby(rows, key=lambda row: row.incident_id):
        yield incident_id, [_event(row) for row in group]


class Timelines:
    """The insights' reading of the store, within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def records(
        self, since: datetime, until: datetime, policies: Policies, now: datetime
    ) -> list[Record]:
        """Each incident declared in [since, until), its deadlines planned as of ``now``."""
        return [
            Record(
                incident_id,
                model.replay(events),
                tuple(events),
                deadlines.plan(events, policies, now),
            )
            for incident_id, events in timelines(self.session, since, until)
        ]
