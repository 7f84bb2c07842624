"""The tamper-evident audit trail: every timeline entry commits to the one before it.

Entries form one chain in insertion order: ``hash = sha256(prev_hash + canonical content)``, and
the newest hash is kept apart (bot_state ``audit_head``), so an edited entry, a deleted one, and
a deleted newest one are all detected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.facts import Facts
from bot.adapters.db.tables import EventRow

HEAD = "audit_head"


def content(row: EventRow) -> dict[str, Any]:
    """What an entry commits to (also what `audit export` writes)."""
    return {
        "incident": row.incident_id,
        "seq": row.seq,
        "at": row.at.astimezone(UTC).isoformat(),
        "action": row.kind,
        "actor": row.actor,
        "severity": row.severity,
        "subject": row.subject,
        "next_update_seconds": row.next_update_seconds,
        "text": row.text,
        "extra": dict(row.extra or {}),
    }


def digest(prev_hash: str, row: EventRow) -> str:
    canonical = json.dumps(content(row), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def chain(session: Session, row: EventRow) -> None:
    """Link a new entry to the head of the chain (holding the head's row lock until commit)."""
    head = Facts(session).lock(HEAD, "", datetime.now(UTC))
    row.prev_hash = head.value
    row.hash = digest(row.prev_hash, row)
    head.value, head.updated_at = row.hash, datetime.now(UTC)


@dataclass(frozen=True)
class Tampering:
    event_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def verify(session: Session) -> list[Tampering]:
    """Walk the chain; name every entry that was edited or removed."""
    problems: list[Tampering] = []
    previous = ""
    previous_id: int | None = None
    for row in session.scalars(select(EventRow).order_by(EventRow.id)):
        where = f"entry {row.id} (incident {row.incident_id}, #{row.seq}, {row.kind})"
        if row.prev_hash != previous:
            after = f"entry {previous_id}" if previous_id else "the start"
            problems.append(
                Tampering(
                    row.id,
                    f"an entry between {after} and {where} was deleted (the chain is broken there)",
                )
            )
        if row.hash != digest(row.prev_hash or "", row):
            problems.append(
                Tampering(row.id, f"{where} was edited: its content no longer matches its hash")
            )
        previous, previous_id = row.hash or "", row.id
    head = Facts(session).get(HEAD) or ""
    if head != previous:
        problems.append(
            Tampering(
                None,
                f"the newest entries after entry {previous_id} were "
                "deleted (the chain's recorded head is missing)",
            )
        )
    return problems


def export(session: Session, incident_id: int | None = None) -> Iterator[dict[str, Any]]:
    query = select(EventRow).order_by(EventRow.id)
    if incident_id is not None:
        query = query.where(EventRow.incident_id == incident_id)
    for row in session.scalars(query):
        yield {"id": row.id, **content(row), "prev_hash": row.prev_hash, "hash": row.hash}


@contextmanager
def _migrated(url: str) -> Iterator[Session]:
    """A session on the database at ``url``, brought to the newest schema first."""
    engine = engines.connect(url)
    try:
        migrate.upgrade(engine)
        with engines.sessions(engine)() as session:
            yield session
    finally:
        engine.dispose()


def check(url: str) -> tuple[list[Tampering], int]:
    """Verify the trail of the database at ``url``: (problems, entries walked)."""
    with _migrated(url) as session:
        problems = verify(session)
        entries = session.scalar(select(func.count()).select_from(EventRow)) or 0
    return problems, int(entries)


def entries(url: str, incident_id: int | None = None) -> Iterator[dict[str, Any]]:
    """The trail of the database at ``url`` (one incident's, or all), oldest first."""
    with _migrated(url) as session:
        yield from export(session, incident_id)
