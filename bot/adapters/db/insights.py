"""The record insights read: every incident declared in a period, with its timeline, in two
queries (incidents, then their events), planned against the playbooks.

Built for 10,000 incidents in well under a second of reading: the incident comes from its
row (which mirrors what its timeline last said, ``incidents._mirror``) rather than a replay,
and events are read through the driver and parsed here (SQLite gives times and JSON as text,
PostgreSQL as values), not through the ORM.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session

from bot.core import deadlines, lifecycle
from bot.core.insights import Record
from bot.core.model import Event, EventKind, Incident, Severity
from bot.core.policy import Policies

_KINDS = {str(kind): kind for kind in EventKind}
_SEVERITIES = {str(severity): severity for severity in Severity}
_STATES = {str(state): state for state in lifecycle.State}
_INCIDENTS = (
    "SELECT i.id, i.title, i.severity, i.state, i.declared_at, i.declared_by, i.started_at,"
    " i.commander, i.services FROM incidents i"
    " WHERE i.declared_at >= %(since)s AND i.declared_at < %(until)s"
)
_EVENTS = (
    "SELECT e.incident_id, e.seq, e.at, e.kind, e.actor, e.severity, e.subject,"
    " e.next_update_seconds, e.text, e.extra FROM events e JOIN incidents i"
    " ON i.id = e.incident_id WHERE i.declared_at >= %(since)s AND i.declared_at < %(until)s"
    " ORDER BY e.incident_id, e.seq"
)


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(value: datetime | str) -> datetime:
    """A stored time as UTC: SQLite's text is UTC without an offset, so it is read with one
    (one parse instead of a parse and a replace, per event)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return _utc(value)


def _event(row: tuple[Any, ...], extras: dict[str, Mapping[str, str]]) -> Event:
    """A row of ``_EVENTS`` as an event (by position and lookup tables: this runs per event,
    100,000 times for a big report). ``extras``: the JSON texts parsed so far, shared between
    events that store the same one (most store one of a few: ``{}``, a deadline's key)."""
    _, seq, at, kind, actor, severity, subject, next_update, text, extra = row
    if isinstance(extra, str):
        parsed = extras.get(extra)
        if parsed is None:
            parsed = extras[extra] = json.loads(extra)
        extra = parsed
    return Event(
        seq,
        _moment(at),
        _KINDS[kind],
        actor,
        _SEVERITIES[severity] if severity else None,
        subject,
        timedelta(seconds=next_update) if next_update is not None else None,
        text,
        extra,
    )


def _incident(row: tuple[Any, ...]) -> Incident:
    """A row of ``_INCIDENTS`` as the incident its timeline last said it is."""
    _, title, severity, state, declared_at, declared_by, started_at, commander, services = row
    return Incident(
        title=title,
        severity=_SEVERITIES[severity],
        state=_STATES[state],
        declared_at=_utc(declared_at),
        declared_by=declared_by,
        started_at=_utc(started_at),
        commander=commander,
        services=tuple(name for name in services.split(",") if name),
    )


def _rows(session: Session, query: str, since: datetime, until: datetime) -> Iterator[Any]:
    """``query``'s rows through the driver, its period bound as the dialect stores times."""
    connection = session.connection()
    bound: dict[str, object] = {"since": since, "until": until}
    if connection.dialect.name == "sqlite":  # stored as text in UTC, as SQLAlchemy writes it
        bound = {"since": _sqlite_text(since), "until": _sqlite_text(until)}
    if connection.dialect.paramstyle != "pyformat":
        query = _named(query)
    # The driver's own cursor, in the session's transaction: plain tuples, without a Row
    # made for each of 100,000 events.
    driver = connection.dialect.loaded_dbapi
    with contextlib.closing(connection.connection.cursor()) as cursor:
        try:
            cursor.execute(query, bound)
            return iter(cursor.fetchall())
        except driver.Error as failure:  # as SQLAlchemy raises it: "cannot reach the database"
            raise exc.DBAPIError.instance(query, bound, failure, driver.Error) from failure


def heads(session: Session, since: datetime, until: datetime) -> dict[int, Incident]:
    """Each incident declared in [since, until), by id."""
    return {row[0]: _incident(tuple(row)) for row in _rows(session, _INCIDENTS, since, until)}


def timelines(
    session: Session, since: datetime, until: datetime
) -> Iterator[tuple[int, list[Event]]]:
    """(incident id, its events in order) of each incident declared in [since, until)."""
    rows = _rows(session, _EVENTS, since, until)
    extras: dict[str, Mapping[str, str]] = {}
    for incident_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        yield incident_id, [_event(row, extras) for row in group]


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
        found = heads(self.session, since, until)
        return [
            Record(
                incident_id,
                found[incident_id],
                tuple(events),
                deadlines.plan(events, policies, now),
            )
            for incident_id, events in timelines(self.session, since, until)
            if incident_id in found
        ]
