"""Seals: each row of the tables the post-mortem and the metrics read carries an HMAC of its
content under AUDIT_KEY, so nobody without the key can edit one unseen.

Sealed: the timeline (``events``, whose content includes its place in the hash chain),
``incidents``, ``status_updates`` and ``deadlines``. A row is sealed whenever the bot writes it
(a ``before_flush`` hook on the sessions), so a seal always matches the row's last legitimate
write. The key never reaches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy import insert as sql_insert
from sqlalchemy.orm import InstanceState, Session, sessionmaker

from bot.adapters.db.tables import Base, DeadlineRow, EventRow, IncidentRow, StatusUpdateRow

Sealed = EventRow | IncidentRow | StatusUpdateRow | DeadlineRow
SEALED: tuple[type[Sealed], ...] = (EventRow, IncidentRow, StatusUpdateRow, DeadlineRow)
KEY = "audit_key"  # where a session keeps the key (Session.info)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def content(row: Sealed) -> dict[str, Any]:
    """Every column of ``row`` but its seal and its id (not known yet when a new row is sealed;
    each sealed row names what it belongs to: its incident and its place there), JSON-ready."""
    columns = row.__table__.columns
    return {c.key: _plain(getattr(row, c.key)) for c in columns if c.key not in ("mac", "id")}


def mac(key: bytes, row: Sealed) -> str:
    """HMAC-SHA256 under ``key`` of the row's table and content (hex)."""
    return mac_of(key, row.__tablename__, content(row))


def mac_of(key: bytes, table: str, columns: dict[str, Any]) -> str:
    """``mac`` of a row of ``table`` whose content is ``columns`` (as ``content`` gives it;
    a migration seals a row as it was, or as it is, with these)."""
    canonical = json.dumps([table, columns], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def plain(value: object) -> object:
    """A column's value as a row's content holds it (datetimes in UTC, ISO 8601)."""
    return _plain(value)


def seal_on_write(sessions: sessionmaker[Session], key: bytes) -> None:
    """Seal every sealed row the sessions ``sessions`` makes add or change, as it is flushed."""
    sessions.kw.setdefault("info", {})[KEY] = key

    def seal(session: Session, *_: object) -> None:
        for row in (*session.new, *session.dirty):
            if isinstance(row, SEALED):
                row.mac = mac(key, row)

    event.listen(sessions, "before_flush", seal)


def unseal_on_write(sessions: sessionmaker[Session]) -> None:
    """For sessions without the key: a sealed row they change loses its seal (``mac`` NULL),
    so verify says it was written without AUDIT_KEY instead of calling it edited."""

    def unseal(session: Session, *_: object) -> None:
        for row in session.dirty:
            if not isinstance(row, SEALED) or row.mac is None or not session.is_modified(row):
                continue
            state: InstanceState[Sealed] = inspect(row)
            if not state.attrs.mac.history.has_changes():  # not sealed just now
                row.mac = None

    event.listen(sessions, "before_flush", unseal)


def seal_all(session: Session, key: bytes, unsealed_only: bool = True) -> dict[str, list[int]]:
    """Seal the rows without a seal (written before the key was set, or by a bot without it);
    unless ``unsealed_only``, also reseal those whose seal does not match (written by a bot
    without the seal, one migration behind, or sealed under another key). The ids sealed, by
    table."""
    done: dict[str, list[int]] = {}
    for table in SEALED:
        for row in _rows(session, table):
            if row.mac is None or (
                not unsealed_only and not hmac.compare_digest(row.mac, mac(key, row))
            ):
                row.mac = mac(key, row)
                done.setdefault(row.__tablename__, []).append(row.id)
    return done


def broken(session: Session, key: bytes) -> Iterator[str]:
    """Each row whose seal is missing or does not match its content, and each sealed row that
    is a copy of another (the same content and seal under another id: a seal does not cover
    the id, and no two rows the bot writes are alike; events and deadlines are even unique by
    incident and place, so a copy means a constraint was dropped too)."""
    for table in SEALED:
        first: dict[str, int] = {}  # seal: the id of the first row that carries it
        for row in _rows(session, table):
            where = f"{row.__tablename__} row {row.id}"
            if row.mac is None:
                yield f"{where} is not sealed (written without AUDIT_KEY, or its seal removed)"
            elif not hmac.compare_digest(row.mac, mac(key, row)):
                yield f"{where} was edited: its content no longer matches its seal"
            elif row.mac in first:
                yield (
                    f"{where} is a copy of row {first[row.mac]}: a sealed row was written again "
                    "under another id (a row deleted there and replaced, or one added)"
                )
            else:
                first[row.mac] = row.id


def _rows(session: Session, table: type[Sealed]) -> Iterator[Sealed]:
    for row in session.scalars(select(table).order_by(table.id)):
        assert isinstance(row, SEALED)
        yield row


def insert(session: Session, rows: Sequence[Base]) -> None:
    """Insert ``rows`` (new, all of one table) at once, outside the session's unit of work,
    in one statement for each set of columns they fill: written in bulk where the ORM would
    build each. Sealed as a flush seals a new row (when the session has the key): every
    column a seal covers must be set, as a column left unset is sealed as None but stored
    with its default.

    For rows nothing in the transaction reads back as objects (their ids are not fetched)
    and that no caller expects to clash: a failed statement raises (IntegrityError) but,
    unlike a failed flush, does not mark the session's transaction as one to roll back."""
    if not rows:
        return
    key = session.info.get(KEY)
    table = Base.metadata.tables[rows[0].__tablename__]
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if key is not None and isinstance(row, SEALED):
            row.mac = mac(key, row)
        filled = row.__dict__  # what was set
        values = {c.key: filled[c.key] for c in table.columns if c.key in filled}
        by_columns.setdefault(tuple(values), []).append(values)
    for same in by_columns.values():
        session.execute(sql_insert(table), same)
