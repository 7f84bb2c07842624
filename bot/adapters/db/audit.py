"""The tamper-evident audit trail: every timeline entry commits to the one before it in its
incident.

Each incident's entries form a chain in ``seq`` order: ``hash = sha256(prev_hash + canonical
content)``, ``prev_hash`` the hash of the incident's previous entry ("" for its first). The
newest hash is kept in the incident's row (``incidents.audit_head``), moved by the append that
holds the row's lock already, so an edited entry, a deleted one, and deleted newest entries are
all detected, and the appends of two incidents share no row: neither waits for the other.

Entries written before migration 0019 (or while the database was stepped back below it) form one
chain across all incidents instead, in id order, its newest hash in bot_state ``audit_head``
(frozen once appends are chained per incident). bot_state ``audit_per_incident`` records which
ids were chained per incident (``eras``); every entry is checked by the rule it was written
under, and every incident's newest hash against its ``audit_head``, whichever rule wrote it.

With AUDIT_KEY, every row of the timeline, incidents (its chain's head with it), status updates
and deadlines is also sealed (an HMAC: ``seals``), and signed checkpoints written outside the
database (the log, a file) pin the trail as of its newest entry then: how many entries, that
entry's hash, a digest of every incident's newest hash, and how many rows each sealed table
holds, so neither a recomputed chain nor deleted newest entries with a head moved back (an older
sealed copy of the incident row written back) go unseen. Without the key, the incident rows and
status updates are still checked against their timeline.

A seal covers a row's content, not its version: an older sealed copy of a row written back is
not detected by its seal (incident rows and status updates are caught by their timeline, a
deadline row only when it is pending again after its timeline recorded it missed). Rows whose
seal went stale (written by a bot that does not seal) are resealed only on purpose, by
``seal(reseal=True)``, which keeps a signed record of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.adapters.db import engine as engines
from bot.adapters.db import schema, seals
from bot.adapters.db.facts import Facts
from bot.adapters.db.tables import DeadlineRow, EventRow, IncidentRow, StatusUpdateRow
from bot.core import model
from bot.core.model import EventKind

HEAD = "audit_head"  # bot_state's key: the newest hash of the chain across incidents (frozen)
ERAS = "audit_per_incident"  # bot_state's key: the ids chained per incident (``eras``)
# PostgreSQL advisory lock: appends take it shared (they do not wait for each other), a
# checkpoint exclusively, for one statement, so it sees no append under way.
APPENDING = 72_000_002


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


def chain(session: Session, row: EventRow, prev_hash: str) -> str:
    """Link a new entry to ``prev_hash``, its incident's newest hash ("" for its first entry;
    the caller holds the incident's row lock and keeps the hash returned as the new head).

    Sets the row's ``prev_hash`` and ``hash`` and returns the hash. On PostgreSQL it takes the
    appending lock, shared, to the transaction's end: no other append waits for it, a checkpoint
    does (and the appends that come meanwhile wait for the checkpoint's one statement)."""
    # Once a transaction (it holds the lock to its end); again in a savepoint, whose rollback
    # would release it.
    taken = session.get_nested_transaction() or session.get_transaction()
    if _postgresql(session) and session.info.get(APPENDING) is not taken:
        session.execute(select(func.pg_advisory_xact_lock_shared(APPENDING)))
        session.info[APPENDING] = taken
    row.prev_hash = prev_hash
    row.hash = digest(prev_hash, row)
    return row.hash


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


Era = tuple[int, int | None]


def eras(session: Session) -> list[Era]:
    """The ranges of entry ids chained per incident, ``(first, after_last)`` (None: still
    open), oldest first; every other entry is in the chain across incidents. Not recorded:
    every entry is chained per incident (a database created by this code)."""
    recorded = json.loads(Facts(session).get(ERAS) or "[[1, null]]")
    return [(int(first), None if until is None else int(until)) for first, until in recorded]


def _per_incident(spans: Sequence[Era], entry_id: int) -> bool:
    return any(first <= entry_id and (until is None or entry_id < until) for first, until in spans)


@dataclass(frozen=True)
class Tampering:
    event_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def verify(session: Session) -> list[Tampering]:
    """Walk the trail; name every entry that was edited or removed.

    An entry chained per incident must commit to its incident's previous entry (by ``seq``);
    any other, to the previous such entry by id (the chain across incidents, whose newest hash
    is bot_state's ``audit_head``). Every incident's newest hash must be its ``audit_head``."""
    spans = eras(session)
    problems: list[Tampering] = []
    previous = ""
    previous_id: int | None = None
    for row in session.scalars(select(EventRow).order_by(EventRow.id)):
        where = _where(row.id, row.incident_id, row.seq, row.kind)
        across = not _per_incident(spans, row.id)
        if across and row.prev_hash != previous:
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
        if across:
            previous, previous_id = row.hash or "", row.id
    head = Facts(session).get(HEAD) or ""
    if head != previous:
        after = f"entry {previous_id}" if previous_id else "the start"
        problems.append(
            Tampering(
                None,
                f"the newest entries after {after} were deleted (the chain's recorded head is "
                "missing)",
            )
        )
    return problems + _incident_chains(session, spans)


def _where(entry_id: int, incident_id: int, seq: int, kind: str) -> str:
    return f"entry {entry_id} (incident {incident_id}, #{seq}, {kind})"


def _incident_chains(session: Session, spans: Sequence[Era]) -> list[Tampering]:
    """Each incident's entries in ``seq`` order: those chained per incident commit to the one
    before; the newest hash is the incident's ``audit_head``."""
    problems: list[Tampering] = []
    heads = {i: h for i, h in session.execute(select(IncidentRow.id, IncidentRow.audit_head))}
    newest: dict[int, tuple[str, int]] = {}
    rows = session.execute(
        select(
            EventRow.id,
            EventRow.incident_id,
            EventRow.seq,
            EventRow.kind,
            EventRow.prev_hash,
            EventRow.hash,
        ).order_by(EventRow.incident_id, EventRow.seq)
    )
    for entry_id, incident_id, seq, kind, prev_hash, entry_hash in rows:
        before, before_id = newest.get(incident_id, ("", None))
        if _per_incident(spans, entry_id) and prev_hash != before:
            after = f"entry {before_id}" if before_id else "the start"
            where = _where(entry_id, incident_id, seq, kind)
            problems.append(
                Tampering(
                    entry_id,
                    f"an entry between {after} and {where} was deleted (incident "
                    f"{incident_id}'s chain is broken there)",
                )
            )
        newest[incident_id] = (entry_hash or "", entry_id)
    for incident_id, head in sorted(heads.items()):
        kept, kept_id = newest.get(incident_id, ("", None))
        if head != kept:
            after = f"entry {kept_id}" if kept_id else "its start"
            problems.append(
                Tampering(
                    None,
                    f"the newest entries of incident {incident_id} after {after} were deleted "
                    "(its recorded head, incidents.audit_head, is missing)",
                )
            )
    return problems


def consistency(session: Session) -> list[Tampering]:
    """Rows that disagree with the timeline they mirror: an incident's severity, state, title,
    commander and services; its status updates, one per ``status_update_posted`` entry."""
    from bot.adapters.db.timeline import Timeline  # which chains each entry it appends here

    problems: list[Tampering] = []
    timeline = Timeline(session)
    for row in session.scalars(select(IncidentRow).order_by(IncidentRow.id)):
        events = timeline.events(row.id)
        if not events:
            problems.append(Tampering(None, f"incident {row.id} has no timeline"))
            continue
        told = model.replay(events)
        services = ",".join(told.services)
        mirrored = (told.title, str(told.severity), str(told.state), told.commander, services)
        stored = (row.title, row.severity, row.state, row.commander, row.services)
        if mirrored != stored:
            problems.append(
                Tampering(None, f"incident {row.id} was edited: it disagrees with its timeline")
            )
        posted = [
            (e.at, e.actor, e.text, e.extra.get("impact"), e.extra.get("affected"))
            for e in events
            if e.kind is EventKind.STATUS_UPDATE_POSTED
        ]
        updates = session.scalars(
            select(StatusUpdateRow)
            .where(StatusUpdateRow.incident_id == row.id)
            .order_by(StatusUpdateRow.id)
        )
        kept = [(u.posted_at, u.author, u.text, u.impact, u.affected) for u in updates]
        if kept != posted:
            problems.append(
                Tampering(
                    None,
                    f"incident {row.id}'s status updates were edited or deleted: they disagree "
                    "with its timeline",
                )
            )
        problems += _deadline_rows_against_misses(session, row.id, events)
    return problems


def _deadline_rows_against_misses(
    session: Session, incident_id: int, events: Sequence[model.Event]
) -> list[Tampering]:
    """Deadline rows that disagree with the misses the timeline recorded: one still pending
    although missed at the same due time (an older version written back: its seal is valid,
    its content old), one missed and gone (deleted; rows are only ever added), or two rows for
    one deadline (a copy put in a deleted row's place, under its id)."""
    missed = {
        (e.extra.get("deadline"), e.extra.get("due_at"))
        for e in events
        if e.kind is EventKind.DEADLINE_MISSED
    }
    rows = list(session.scalars(select(DeadlineRow).where(DeadlineRow.incident_id == incident_id)))
    problems = [
        Tampering(
            None,
            f"deadlines row {d.id} (incident {incident_id}, {d.key}) is pending, but its "
            "timeline says it was missed: an older version of the row was written back",
        )
        for d in rows
        if d.status == "pending" and (d.key, d.due_at.astimezone(UTC).isoformat()) in missed
    ]
    keys = Counter(d.key for d in rows)
    problems += [
        Tampering(None, f"incident {incident_id} has {count} deadlines rows for {key}: copied")
        for key, count in sorted(keys.items())
        if count > 1
    ]
    problems += [
        Tampering(
            None,
            f"incident {incident_id}'s timeline says {key} was missed, but its deadlines row "
            "is gone: deleted",
        )
        for key in sorted({key for key, _ in missed if key is not None} - set(keys))
    ]
    return problems


def checkpoint(session: Session, key: bytes, at: datetime, wait: float = 5.0) -> dict[str, Any]:
    """A signed statement of the trail as of its newest entry (``last``, its id; 0 for none):
    how many entries up to it (``entries``), its hash (``head``), a digest of every incident's
    newest hash up to it (``heads``), and how many rows each sealed table holds (rows are only
    ever added).

    On PostgreSQL it first waits for the appends under way (the appending lock, exclusively),
    reads ``last`` and commits the session's transaction, so no entry below ``last`` is added
    later: appends wait for that one statement, not for the rest. The appends that come while
    it waits wait too, so it waits ``wait`` seconds at most (then OperationalError, nothing
    taken: a transaction held its append that long)."""
    if _postgresql(session):
        session.execute(text(f"SET LOCAL lock_timeout = {int(wait * 1000)}"))
        session.execute(select(func.pg_advisory_xact_lock(APPENDING)))
    last = int(session.scalar(select(func.max(EventRow.id))) or 0)
    if _postgresql(session):
        session.commit()
    newest = session.get(EventRow, last) if last else None
    rows = {
        table.__tablename__: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for table in seals.SEALED
    }
    body = {
        "at": at.astimezone(UTC).isoformat(),
        "entries": _entries_to(session, last),
        "head": newest.hash if newest is not None else "",
        "last": last,
        "heads": _heads_to(session, last),
        "rows": rows,
    }
    return {**body, "mac": _sign(key, body)}


def _entries_to(session: Session, last: int) -> int:
    counted = session.scalar(select(func.count()).select_from(EventRow).where(EventRow.id <= last))
    return int(counted or 0)


def _heads_to(session: Session, last: int) -> str:
    """sha256 (hex) of ``incident id:hash`` lines, by incident: each incident's newest entry
    among the entries up to id ``last``."""
    newest = (
        select(EventRow.incident_id, func.max(EventRow.seq).label("seq"))
        .where(EventRow.id <= last)
        .group_by(EventRow.incident_id)
        .subquery()
    )
    rows = session.execute(
        select(EventRow.incident_id, EventRow.hash)
        .join(
            newest,
            (EventRow.incident_id == newest.c.incident_id) & (EventRow.seq == newest.c.seq),
        )
        .order_by(EventRow.incident_id)
    )
    lines = "".join(f"{incident_id}:{entry_hash or ''}\n" for incident_id, entry_hash in rows)
    return hashlib.sha256(lines.encode()).hexdigest()


def _sign(key: bytes, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def against(session: Session, key: bytes, point: dict[str, Any]) -> list[Tampering]:
    """What the database lost or rewrote since the checkpoint ``point`` was signed (one
    written before 0019, without ``last``, is held to the entry at its count's position)."""
    body = {k: v for k, v in point.items() if k != "mac"}
    when = point.get("at", "?")
    if not hmac.compare_digest(str(point.get("mac", "")), _sign(key, body)):
        return [Tampering(None, f"the checkpoint of {when} is not signed with this AUDIT_KEY")]
    problems: list[Tampering] = []
    entries = int(body["entries"])
    rewritten = f"the trail up to the checkpoint of {when} was rewritten or shortened"
    deleted = f"entries were deleted: the checkpoint of {when} counted {entries}"
    if "last" in body:
        last = int(body["last"])
        row = session.get(EventRow, last) if last else None
        if _entries_to(session, last) < entries:
            problems.append(Tampering(None, deleted))
        elif last and (row is None or row.hash != body["head"]):
            problems.append(Tampering(last, rewritten))
        elif _heads_to(session, last) != body["heads"]:
            problems.append(
                Tampering(None, f"{rewritten}: an incident's newest entry then is not what it was")
            )
    elif entries:
        row = session.scalars(select(EventRow).order_by(EventRow.id).offset(entries - 1)).first()
        if row is None:
            problems.append(Tampering(None, deleted))
        elif row.hash != body["head"]:
            problems.append(Tampering(row.id, rewritten))
    for table in seals.SEALED:
        name = table.__tablename__
        now = int(session.scalar(select(func.count()).select_from(table)) or 0)
        if now < int(body["rows"].get(name, 0)):
            problems.append(
                Tampering(
                    None,
                    f"{name} rows were deleted: {now} now, {body['rows'][name]} at the "
                    f"checkpoint of {when}",
                )
            )
    return problems


def export(session: Session, incident_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Every entry (or one incident's) by id, with its place in the chain: ``prev_hash`` is
    the hash of its incident's previous entry when it was chained per incident (one incident's
    export is then a chain of its own), of the previous entry across incidents before."""
    query = select(EventRow).order_by(EventRow.id)
    if incident_id is not None:
        query = query.where(EventRow.incident_id == incident_id)
    for row in session.scalars(query):
        yield {"id": row.id, **content(row), "prev_hash": row.prev_hash, "hash": row.hash}


@contextmanager
def _at_this_revision(url: str, reading: bool = True) -> Iterator[Session]:
    """A session on the database at ``url`` if its schema is exactly this code's (else
    schema.NotThisRevision). It never migrates; ``reading`` sessions only read (a role that may only
    SELECT can verify and export, and SQLite's write lock is not taken)."""
    engine = engines.connect(url, execution_options={engines.READ_ONLY: reading})
    try:
        found = schema.inspect(engine)
        if found.fit is not schema.Fit.CURRENT:
            raise schema.NotThisRevision(_elsewhere(found))
        with engines.sessions(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _elsewhere(found: schema.Schema) -> str:
    at = f"the database is at revision {found.current or '(none)'}, this incident-bot reads"
    if found.current is not None and found.fit is not schema.Fit.BEHIND:
        do = f"run it with the image of revision {found.current}"
    else:
        do = "run `incident-bot db upgrade` first (audit commands never migrate)"
    return f"{at} the audit trail at {found.head}: {do}"


@dataclass(frozen=True)
class Checked:
    problems: list[str]
    entries: int  # walked
    sealings: list[dict[str, Any]]  # recorded by `audit seal`, oldest first


def check(
    url: str,
    key: bytes | None = None,
    points: Sequence[dict[str, Any]] = (),
    kept_outside: Sequence[dict[str, Any]] = (),
) -> Checked:
    """Verify the trail of the database at ``url`` (with ``key``: every row's seal, the
    records of sealings, each checkpoint in ``points``, and each record of a sealing kept
    outside the database, ``kept_outside``, which must still be among the database's)."""
    with _at_this_revision(url) as session:
        problems = [*verify(session), *consistency(session)]
        sealed, forged = sealings(session, key)
        if key is not None:
            problems += [Tampering(None, line) for line in seals.broken(session, key)]
            problems += forged
            for point in points:
                problems += against(session, key, point)
            problems += unrecorded(sealed, key, kept_outside)
        entries = session.scalar(select(func.count()).select_from(EventRow)) or 0
    return Checked([str(problem) for problem in problems], int(entries), sealed)


RESEALS = "audit_seals"  # bot_state's key: the signed record of every `audit seal`


@dataclass(frozen=True)
class Sealing:
    """What `incident-bot audit seal` did (``record``, also written outside the database), or
    why it refused (``refused``: the trail's own problems, which no seal can mend)."""

    record: dict[str, Any]
    refused: list[str]


def seal(url: str, key: bytes, at: datetime, reseal: bool = False) -> Sealing:
    """Seal the rows of the database at ``url`` that have no seal; with ``reseal``, also
    reseal those whose seal does not match (see seals.seal_all). Refused, changing nothing,
    while the chain is broken or a row disagrees with its timeline. Each sealing is recorded,
    signed, in bot_state (``audit verify`` lists the records and checks their signatures)."""
    with _at_this_revision(url, reading=False) as session:
        refused = [str(problem) for problem in (*verify(session), *consistency(session))]
        if refused:
            return Sealing({}, refused)
        done = seals.seal_all(session, key, unsealed_only=not reseal)
        if not done:
            return Sealing({"action": "reseal" if reseal else "seal", "rows": {}}, [])
        body = {
            "at": at.astimezone(UTC).isoformat(),
            "action": "reseal" if reseal else "seal",
            "rows": {table: ids for table, ids in sorted(done.items())},
        }
        record = {**body, "mac": _sign(key, body)}
        facts = Facts(session)
        kept = json.loads(facts.get(RESEALS) or "[]")
        kept = [_resigned(key, old) for old in kept] if reseal else kept  # a rotated key too
        facts.put(RESEALS, json.dumps([*kept, record], sort_keys=True), at)
        session.commit()
    return Sealing(record, [])


def _resigned(key: bytes, record: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in record.items() if k != "mac"}
    return {**body, "mac": _sign(key, body)}


def sealings(session: Session, key: bytes | None) -> tuple[list[dict[str, Any]], list[Tampering]]:
    """The recorded sealings, oldest first, and (with ``key``) each whose signature fails."""
    kept: list[dict[str, Any]] = json.loads(Facts(session).get(RESEALS) or "[]")
    forged = [
        Tampering(
            None,
            f"the record of the sealing of {r.get('at', '?')} is not signed with this AUDIT_KEY",
        )
        for r in kept
        if key is not None
        and not hmac.compare_digest(str(r.get("mac", "")), _resigned(key, r)["mac"])
    ]
    return kept, forged


def unrecorded(
    sealed: Sequence[dict[str, Any]], key: bytes, kept_outside: Sequence[dict[str, Any]]
) -> list[Tampering]:
    """Each signed record of a sealing kept outside the database (AUDIT_CHECKPOINT_FILE, the
    log: ``{"at", "action", "rows", "mac"}``) that the database's records (``sealed``) no
    longer hold: bot_state's ``audit_seals`` was edited or deleted. Compared by content, not
    signature (``--reseal`` signs the database's records again with a rotated key)."""
    held = {_canonical(record) for record in sealed}
    problems: list[Tampering] = []
    for record in kept_outside:
        if _canonical(record) in held:
            continue  # held, whichever key signed it (a rotated key resigns the database's)
        when = record.get("at", "?")
        if hmac.compare_digest(str(record.get("mac", "")), _resigned(key, record)["mac"]):
            said = (
                f"the record of the sealing of {when} is missing from the database (bot_state "
                "audit_seals was edited or deleted; the record kept outside names the rows "
                "sealed then)"
            )
        else:
            said = (
                f"the record of the sealing of {when} kept outside the database is not in it "
                "and not signed with this AUDIT_KEY"
            )
        problems.append(Tampering(None, said))
    return problems


def _canonical(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def entries(url: str, incident_id: int | None = None) -> Iterator[dict[str, Any]]:
    """The trail of the database at ``url`` (one incident's, or all), oldest first."""
    with _at_this_revision(url) as session:
        yield from export(session, incident_id)
