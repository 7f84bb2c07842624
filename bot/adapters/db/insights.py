"""The record insights read: every incident declared in a period, with its timeline, in two
queries (incidents, then their events), planned against the playbooks.

Built for 10,000 incidents in well under a second of reading: the incident comes from its
row (which mirrors what its timeline last said, ``incidents._mirror``) rather than a replay,
and events are read through the driver and parsed here (SQLite gives times and JSON as text,
PostgreSQL as values), not through the ORM.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import IncidentRow
from bot.core import deadlines, lifecycle
from bot.core.insights import Record
from bot.core.model import Event, EventKind, Incident, Severity
from bot.core.policy import Policies

_KINDS = {str(kind): kind for kind in EventKind}
_SEVERITIES = {str(severity): severity for severity in Severity}
_STATES = {str(state): state for state in lifecycle.State}
_EVENTS = (
    "SELECT e.incident_id, e.seq, e.at, e.kind, e.actor, e.severity, e.subject,"
    " e.next_update_seconds, e.text, e.extra FROM events e JOIN incidents i"
    " ON i.id = e.incident_id WHERE i.declared_at >= %(since)s AND i.declared_at < %(until)s"
    " ORDER BY e.incident_id, e.seq"
)


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _event(row: tuple[Any, ...]) -> Event:
    """A row of ``_EVENTS`` as an event (by position and lookup tables: this runs per event,
    100,000 times for a big report)."""
    _, seq, at, kind, actor, severity, subject, next_update, text, extra = row
    return Event(
        seq,
        _utc(at),
        _KINDS[kind],
        actor,
        _SEVERITIES[severity] if severity else None,
        subject,
        timedelta(seconds=next_update) if next_update is not None else None,
        text,
        json.loads(extra) if isinstance(extra, str) else extra,
    )


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        title=row.title,
        severity=_SEVERITIES[row.severity],
        state=_STATES[row.state],
        declared_at=row.declared_at,
        declared_by=row.declared_by,
        started_at=row.started_at,
        commander=row.commander,
        services=tuple(name for name in row.services.split(",") if name),
    )


def timelines(
    session: Session, since: datetime, until: datetime
) -> Iterator[tuple[int, list[Event]]]:
    """(incident id, its events in order) of each incident declared in [since, until)."""
    connection = session.connection()
    bound: dict[str, object] = {"since": since, "until": until}
    if connection.dialect.name == "sqlite":  # stored as text in UTC, as SQLAlchemy writes it
        bound = {"since": _sqlite_text(since), "until": _sqlite_text(until)}
    query = _EVENTS if connection.dialect.paramstyle == "pyformat" else _named(_EVENTS)
    rows = connection.exec_driver_sql(query, bound)
    for incident_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        yield incident_id, [_event(tuple(row)) for row in group]


def _sqlite_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _named(query: str) -> str:
    return query.replace("%(since)s", ":since").replace("%(until)s", ":until")


class Timelines:
    """The insights' reading of the store, within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def records(
        self, since: datetime, until: datetime, policies: Policies, now: datetime
    ) -> list[Record]:
        """Each incident declared in [since, until), its deadlines planned as of ``now``."""
        heads = {
            row.id: _incident(row)
            for row in self.session.scalars(
                select(IncidentRow).where(
                    IncidentRow.declared_at >= since, IncidentRow.declared_at < until
                )
            )
        }
        return [
            Record(
                incident_id,
                heads[incident_id],
                tuple(events),
                deadlines.plan(events, policies, now),
            )
            for incident_id, events in timelines(self.session, since, until)
            if incident_id in heads
        ]
