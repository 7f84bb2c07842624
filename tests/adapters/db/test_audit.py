"""The audit trail: an untouched chain verifies; an edited or deleted entry is named."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, Engine, column, delete, event, func, insert, select, table, update
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import audit, migrate, seals
from bot.adapters.db import engine as engines
from bot.adapters.db.facts import Facts
from bot.adapters.db.incidents import Incidents
from bot.adapters.db.status_updates import PostedUpdates
from bot.adapters.db.tables import (
    DeadlineRow,
    EventRow,
    IncidentRow,
    StateRow,
    StatusUpdateRow,
)
from bot.adapters.db.types import UTCDateTime
from bot.core.model import Event, EventKind, Severity
from bot.entrypoints.checkpoints import Checkpoints, read
from bot.services.records import StatusUpdate
from tests.core.timelines import T0, at

Sessions = sessionmaker[Session]


def history(sessions: Sessions) -> int:
    """Two incidents, interleaved, with a rollback decision carrying version and commit."""
    with sessions.begin() as session:
        incidents = Incidents(session)
        first = incidents.declare(Event(1, T0, EventKind.DECLARED, "U0A", Severity.SEV1, text="a"))
        second = incidents.declare(Event(1, T0, EventKind.DECLARED, "U0B", Severity.SEV2, text="b"))
        incidents.record(first.id, Event(0, at(1), EventKind.ACKNOWLEDGED, "U0C"))
        incidents.record(second.id, Event(0, at(2), EventKind.NOTE_ADDED, "U0B", text="hm"))
        incidents.record(
            first.id,
            Event(
                0,
                at(3),
                EventKind.ROLLBACK_DECIDED,
                "U0C",
                text="roll back",
                extra={"decision": "roll back", "version": "v42", "commit": "abc1234"},
            ),
        )
        return first.id


def problems(sessions: Sessions) -> list[str]:
    with sessions() as session:
        return [str(problem) for problem in audit.verify(session)]


def test_an_untouched_trail_verifies(sessions: Sessions) -> None:
    history(sessions)
    assert problems(sessions) == []


def test_an_edited_entry_is_named(sessions: Sessions) -> None:
    history(sessions)
    with sessions.begin() as session:
        session.execute(update(EventRow).where(EventRow.id == 3).values(actor="U0MALLORY"))
    assert problems(sessions) == [
        "entry 3 (incident 1, #2, acknowledged) was edited: its content no longer matches its hash"
    ]


def test_a_deleted_entry_is_named_by_its_neighbours_in_its_incident(sessions: Sessions) -> None:
    history(sessions)  # incident 1: entries 1, 3, 5; incident 2: entries 2, 4
    with sessions.begin() as session:
        session.execute(delete(EventRow).where(EventRow.id == 3))
    assert problems(sessions) == [
        "an entry between entry 1 and entry 5 (incident 1, #3, rollback_decided) was deleted "
        "(incident 1's chain is broken there)"
    ]


def test_an_edited_and_a_deleted_middle_entry_are_both_named(sessions: Sessions) -> None:
    history(sessions)
    with sessions.begin() as session:
        incidents = Incidents(session)
        incidents.record(2, Event(0, at(4), EventKind.NOTE_ADDED, "U0B", text="more"))  # 6
        session.execute(delete(EventRow).where(EventRow.id == 4))  # incident 2's #2
        session.execute(update(EventRow).where(EventRow.id == 3).values(text="edited"))
    assert problems(sessions) == [
        "entry 3 (incident 1, #2, acknowledged) was edited: its content no longer matches its hash",
        "an entry between entry 2 and entry 6 (incident 2, #3, note_added) was deleted "
        "(incident 2's chain is broken there)",
    ]


def test_deleting_the_newest_entry_of_one_incident_is_detected_too(sessions: Sessions) -> None:
    history(sessions)
    with sessions.begin() as session:
        session.execute(delete(EventRow).where(EventRow.id == 4))  # incident 2's newest
    assert problems(sessions) == [
        "the newest entries of incident 2 after entry 2 were deleted (its recorded head, "
        "incidents.audit_head, is missing)"
    ]
    with sessions.begin() as session:  # all of its entries, the incident row left
        session.execute(delete(EventRow).where(EventRow.incident_id == 2))
    assert problems(sessions) == [
        "the newest entries of incident 2 after its start were deleted (its recorded head, "
        "incidents.audit_head, is missing)"
    ]


def test_each_incident_keeps_its_own_chain_and_head(sessions: Sessions) -> None:
    history(sessions)
    with sessions() as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.incident_id, EventRow.seq))
        chained: dict[int, list[tuple[str | None, str | None]]] = {}
        for row in rows:
            chained.setdefault(row.incident_id, []).append((row.prev_hash, row.hash))
        heads = dict(session.execute(select(IncidentRow.id, IncidentRow.audit_head)).all())
        assert session.get(StateRow, audit.HEAD) is None  # no row shared by every append
    for incident, links in chained.items():
        assert [prev for prev, _ in links] == ["", *(h for _, h in links[:-1])]
        assert heads[incident] == links[-1][1]


def test_export_carries_actor_action_time_and_the_deploy(sessions: Sessions) -> None:
    incident = history(sessions)
    with sessions() as session:
        entries = list(audit.export(session, incident))
    assert [e["action"] for e in entries] == ["declared", "acknowledged", "rollback_decided"]
    decided = entries[-1]
    assert (decided["actor"], decided["extra"]["version"], decided["extra"]["commit"]) == (
        "U0C",
        "v42",
        "abc1234",
    )
    assert decided["at"] == at(3).isoformat()
    # one incident's export is a chain of its own
    assert [e["prev_hash"] for e in entries] == ["", entries[0]["hash"], entries[1]["hash"]]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite3"
    engine = engines.connect(f"sqlite:///{path}")
    migrate.upgrade(engine)
    history(engines.sessions(engine))
    engine.dispose()
    return path


def cli(
    database: Path, *words: str, key: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "", "DATABASE_URL": f"sqlite:///{database}", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", "audit", *words],
        capture_output=True,
        text=True,
        check=False,
        env={**env, **({"AUDIT_KEY": key} if key else {})},
    )


def test_the_command_line_verifies_and_exports(database: Path) -> None:
    verified = cli(database, "verify")
    assert verified.returncode == 0
    assert "intact: 5 entries" in verified.stdout
    exported = cli(database, "export", "--incident", "2").stdout.splitlines()
    assert [json.loads(line)["action"] for line in exported] == ["declared", "note_added"]
    engine = engines.connect(f"sqlite:///{database}")
    with engines.sessions(engine).begin() as session:
        session.execute(update(EventRow).where(EventRow.id == 2).values(text="rewritten"))
    engine.dispose()
    tampered = cli(database, "verify")
    assert tampered.returncode == 1
    assert "TAMPERED: entry 2 (incident 2, #1, declared) was edited" in tampered.stderr


def test_concurrent_writers_keep_every_chain_unbroken(sessions: Sessions) -> None:
    import threading

    def declare(n: int) -> None:
        with sessions.begin() as session:
            Incidents(session).declare(
                Event(1, T0, EventKind.DECLARED, f"U0{n}", Severity.SEV2, text=f"incident {n}")
            )

    threads = [threading.Thread(target=declare, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems(sessions) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 8


KEY = b"k" * 32


def keyed(engine: Engine) -> Sessions:
    return engines.sessions(engine, KEY)


def broken_seals(sessions: Sessions) -> list[str]:
    with sessions() as session:
        return list(seals.broken(session, KEY))


def test_with_a_key_every_audited_row_is_sealed_and_an_edit_is_named(engine: Engine) -> None:
    sessions = keyed(engine)
    history(sessions)
    assert broken_seals(sessions) == []
    with sessions.begin() as session:  # raw SQL: no seal is made for it
        session.execute(update(IncidentRow).where(IncidentRow.id == 2).values(severity="sev3"))
    assert broken_seals(sessions) == [
        "incidents row 2 was edited: its content no longer matches its seal"
    ]


def test_a_recomputed_chain_is_caught_by_the_seals(engine: Engine) -> None:
    sessions = keyed(engine)
    history(sessions)
    attacker = sessionmaker(engine)  # the database, without the key nor the bot's hooks
    with attacker.begin() as session:  # an entry edited, then its chain and head recomputed
        previous = ""
        for entry in session.scalars(
            select(EventRow).where(EventRow.incident_id == 1).order_by(EventRow.seq)
        ):
            if entry.id == 3:
                entry.actor = "U0MALLORY"
            entry.prev_hash, entry.hash = previous, audit.digest(previous, entry)
            previous = entry.hash
        session.execute(update(IncidentRow).where(IncidentRow.id == 1).values(audit_head=previous))

    assert problems(sessions) == []  # the unkeyed chain alone no longer sees it
    assert broken_seals(sessions)[0] == (
        "events row 3 was edited: its content no longer matches its seal"
    )


def incident_row(engine: Engine, incident: int) -> dict[str, object]:
    """Every column of the incident's row as it is, its seal too (as a backup keeps it)."""
    with engine.connect() as connection:
        row = connection.execute(select(IncidentRow.__table__).where(IncidentRow.id == incident))
        return dict(row.one()._mapping)


def rolled_back(engine: Engine, newest: int, incident: dict[str, object]) -> None:
    """The newest entry deleted and the incident row before it written back, seal and all."""
    with engine.begin() as connection:
        connection.execute(delete(EventRow).where(EventRow.id == newest))
        connection.execute(
            update(IncidentRow).where(IncidentRow.id == incident["id"]).values(**incident)
        )


def test_a_checkpoint_catches_newest_entries_deleted_and_the_head_moved_back(
    engine: Engine,
) -> None:
    sessions = keyed(engine)
    history(sessions)
    before = incident_row(engine, 1)
    with sessions.begin() as session:  # entry 6
        Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0D", text="x"))
    with sessions() as session:
        point = audit.checkpoint(session, KEY, at(10))
    rolled_back(engine, 6, before)
    assert problems(sessions) == []  # unseen inside the database, seals and all
    assert broken_seals(sessions) == []
    with sessions() as session:
        found = [str(p) for p in audit.against(session, KEY, point)]
        forged = [str(p) for p in audit.against(session, KEY, {**point, "entries": 5})]
    when = at(10).isoformat()
    assert found == [
        f"entries were deleted: the checkpoint of {when} counted 6",
        f"events rows were deleted: 5 now, 6 at the checkpoint of {when}",
    ]
    assert forged == [f"the checkpoint of {when} is not signed with this AUDIT_KEY"]


def test_a_checkpoint_pins_every_incidents_newest_entry(engine: Engine) -> None:
    """An incident's newest entry replaced (its chain and head recomputed, nothing else
    changed): the count and the newest entry overall are as they were; the heads are not."""
    sessions = keyed(engine)
    history(sessions)
    with sessions() as session:
        point = audit.checkpoint(session, KEY, at(10))
        assert (point["last"], point["entries"]) == (5, 5)
    with sessionmaker(engine).begin() as session:  # incident 2's newest, entry 4, rewritten
        entry = session.get(EventRow, 4)
        assert entry is not None
        entry.text = "nothing to see"
        entry.hash = audit.digest(entry.prev_hash or "", entry)
        session.execute(
            update(IncidentRow).where(IncidentRow.id == 2).values(audit_head=entry.hash)
        )
    assert problems(sessions) == []  # (its seals see it: test_a_recomputed_chain_...)
    with sessions() as session:
        found = [str(p) for p in audit.against(session, KEY, point)]
        old_style = {k: point[k] for k in ("at", "entries", "head", "rows")}
        held = audit.against(session, KEY, {**old_style, "mac": audit._sign(KEY, old_style)})
    assert found == [
        f"the trail up to the checkpoint of {at(10).isoformat()} was rewritten or shortened: "
        "an incident's newest entry then is not what it was"
    ]
    assert held == []  # a checkpoint before 0019 pinned only the newest entry overall


def test_a_checkpoint_before_0019_is_still_held_to_its_count_and_head(engine: Engine) -> None:
    sessions = keyed(engine)
    history(sessions)
    with sessions() as session:
        point = audit.checkpoint(session, KEY, at(10))
    old_style = {k: point[k] for k in ("at", "entries", "head", "rows")}
    signed = {**old_style, "mac": audit._sign(KEY, old_style)}
    with sessions() as session:
        assert audit.against(session, KEY, signed) == []
    with engine.begin() as connection:
        connection.execute(update(EventRow).where(EventRow.id == 5).values(hash="0" * 64))
    with sessions() as session:
        found = [str(p) for p in audit.against(session, KEY, signed)]
    assert found == [
        f"the trail up to the checkpoint of {at(10).isoformat()} was rewritten or shortened"
    ]


def test_incident_rows_and_status_updates_are_held_to_their_timeline(sessions: Sessions) -> None:
    first = history(sessions)
    update_row = StatusUpdate(
        at(4), "U0C", "slow", "5%", "rolling back", timedelta(minutes=30), "t"
    )
    with sessions.begin() as session:
        incidents = Incidents(session)
        event = Event(
            0,
            at(4),
            EventKind.STATUS_UPDATE_POSTED,
            "U0C",
            next_update=update_row.next_update,
            text="t",
            extra={"impact": "slow", "affected": "5%", "action": "rolling back"},
        )
        incidents.record(first, event)
        PostedUpdates(session).add(first, update_row)
    with sessions() as session:
        assert audit.consistency(session) == []
    with sessions.begin() as session:
        session.execute(update(StatusUpdateRow).values(impact="nothing much"))
        session.execute(update(IncidentRow).where(IncidentRow.id == 2).values(state="closed"))
    with sessions() as session:
        found = [str(p) for p in audit.consistency(session)]
    assert found == [
        "incident 1's status updates were edited or deleted: they disagree with its timeline",
        "incident 2 was edited: it disagrees with its timeline",
    ]


def test_checkpoints_are_written_to_the_log_and_a_file_and_read_back(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = keyed(engine)
    history(sessions)
    file = tmp_path / "checkpoints.jsonl"
    writer = Checkpoints(sessions, KEY, lambda: at(20), every=300, file=file)

    with caplog.at_level(logging.INFO, logger="bot.entrypoints.checkpoints"):
        point = writer.write()

    assert point is not None and point["entries"] == 5
    [record] = caplog.records
    log_line = json.dumps({"message": "audit checkpoint", "checkpoint": record.checkpoint})  # type: ignore[attr-defined]
    assert read([log_line]) == [point]
    assert read(file.read_text().splitlines()) == [point]
    with sessions() as session:
        assert audit.against(session, KEY, point) == []


def test_the_command_line_seals_and_holds_the_database_to_its_checkpoints(
    database: Path, tmp_path: Path
) -> None:
    key = "k" * 32
    unsealed = cli(database, "verify", key=key)
    assert unsealed.returncode == 1
    assert "TAMPERED: events row 1 is not sealed" in unsealed.stderr
    assert cli(database, "seal", key=key).stdout.strip() == "sealed 7 row(s)"
    assert "every row sealed with AUDIT_KEY" in cli(database, "verify", key=key).stdout

    engine = engines.connect(f"sqlite:///{database}")
    before = incident_row(engine, 1)
    with engines.sessions(engine, key.encode()).begin() as session:  # entry 6
        Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0D", text="x"))
    file = tmp_path / "checkpoints.jsonl"
    Checkpoints(engines.sessions(engine), key.encode(), lambda: at(20), 300, file).write()
    rolled_back(engine, 6, before)  # newest entry gone, the row and its head as before it
    engine.dispose()
    assert cli(database, "verify", key=key).returncode == 0  # unseen inside the database
    held = cli(database, "verify", "--checkpoints", str(file), key=key)
    assert held.returncode == 1
    assert f"TAMPERED: entries were deleted: the checkpoint of {at(20).isoformat()}" in held.stderr


def test_verify_and_export_only_read(database: Path) -> None:
    """A role that may only SELECT can verify and export: nothing is migrated or rewritten."""
    url = f"sqlite:///{database}"
    statements: list[str] = []

    def seen(_c: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert audit.check(url, b"k" * 32).entries == 5
        assert len(list(audit.entries(url))) == 5
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert statements
    reads = ("SELECT", "PRAGMA")  # and SQLite's BEGIN without its write lock
    written = [s for s in statements if s != "BEGIN" and not s.upper().startswith(reads)]
    assert written == []


def test_a_database_at_another_revision_gets_one_line_and_is_left_alone(database: Path) -> None:
    engine = engines.connect(f"sqlite:///{database}")
    migrate.downgrade(engine, "0013")
    for words in (("verify",), ("export",), ("seal",)):
        answer = cli(database, *words, key="k" * 32)
        assert answer.returncode == 2, answer.stderr
        assert answer.stderr.count("\n") == 1
        assert "the database is at revision 0013" in answer.stderr
        assert "incident-bot db upgrade" in answer.stderr
    assert migrate.current(engine) == "0013"  # never migrated by an audit command
    engine.dispose()


def test_a_role_that_may_only_select_verifies_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    history(engines.sessions(engine))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP ROLE IF EXISTS audit_reader_test")
        connection.exec_driver_sql("CREATE ROLE audit_reader_test LOGIN")
        connection.exec_driver_sql(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO audit_reader_test"
        )
    url = engine.url.set(username="audit_reader_test", password=None)
    try:
        checked = audit.check(url.render_as_string(hide_password=False))
        assert (checked.problems, checked.entries) == ([], 5)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM audit_reader_test"
            )
            connection.exec_driver_sql("DROP ROLE audit_reader_test")


def test_a_row_changed_by_a_bot_without_the_key_loses_its_seal_instead_of_going_stale(
    engine: Engine,
) -> None:
    incident = history(keyed(engine))
    with engines.sessions(engine).begin() as session:  # a replica without AUDIT_KEY
        Incidents(session).record(incident, Event(0, at(9), EventKind.NOTE_ADDED, "U0D", text="x"))
    found = broken_seals(keyed(engine))
    assert f"incidents row {incident} is not sealed" in " ".join(found)
    assert not [line for line in found if "was edited" in line]


def test_stale_seals_are_resealed_on_purpose_and_the_resealing_is_recorded(
    database: Path, tmp_path: Path
) -> None:
    old, new = "o" * 32, "n" * 32  # the key rotated
    assert cli(database, "seal", key=old).stdout.strip() == "sealed 7 row(s)"
    stale = cli(database, "verify", key=new)
    assert stale.returncode == 1
    assert "TAMPERED: events row 1 was edited" in stale.stderr
    assert "`incident-bot audit seal --reseal`" in stale.stderr
    assert cli(database, "seal", key=new).stdout.strip() == "sealed 0 row(s)"  # not without asking
    file = tmp_path / "checkpoints.jsonl"
    resealed = cli(database, "seal", "--reseal", key=new, env={"AUDIT_CHECKPOINT_FILE": str(file)})
    assert resealed.returncode == 0, resealed.stderr
    assert resealed.stdout.splitlines()[0] == "resealed 7 row(s)"
    assert "  events: 1, 2, 3, 4, 5" in resealed.stdout
    [outside] = file.read_text().splitlines()  # the record, outside the database too
    assert json.loads(outside)["audit_sealing"]["action"] == "reseal"
    verified = cli(database, "verify", key=new)
    assert verified.returncode == 0, verified.stderr
    assert "2 sealing(s) recorded, the last a reseal on " in verified.stdout

    engine = engines.connect(f"sqlite:///{database}")
    with engines.sessions(engine).begin() as session:  # the record rewritten
        session.execute(
            update(StateRow)
            .where(StateRow.key == audit.RESEALS)
            .values(value=json.dumps([{"at": "2026", "action": "reseal", "rows": {}, "mac": "0"}]))
        )
    engine.dispose()
    forged = cli(database, "verify", key=new)
    assert "TAMPERED: the record of the sealing of 2026 is not signed" in forged.stderr


def test_no_reseal_while_the_trail_itself_is_broken(database: Path) -> None:
    engine = engines.connect(f"sqlite:///{database}")
    with sessionmaker(engine).begin() as session:
        session.execute(update(EventRow).where(EventRow.id == 2).values(text="rewritten"))
    engine.dispose()
    refused = cli(database, "seal", "--reseal", key="n" * 32)
    assert refused.returncode == 1
    assert "TAMPERED: entry 2 (incident 2, #1, declared) was edited" in refused.stderr
    assert "nothing sealed" in refused.stderr


def test_an_older_sealed_version_of_a_missed_deadline_written_back_is_named(
    engine: Engine,
) -> None:
    sessions = keyed(engine)
    incident = history(sessions)
    due = at(5)
    with sessions.begin() as session:
        deadline = DeadlineRow(
            incident_id=incident,
            key="assemble",
            kind="assemble",
            severity="sev1",
            opened_at=T0,
            due_at=due,
            status="pending",
        )
        session.add(deadline)
    with sessions() as session:  # the sealed pending version, as a backup would keep it
        kept = session.scalars(select(DeadlineRow)).one()
        old_status, old_mac = kept.status, kept.mac
    with sessions.begin() as session:
        extra = {"deadline": "assemble", "due_at": due.isoformat(), "reached": "1"}
        Incidents(session).record(
            incident, Event(0, at(6), EventKind.DEADLINE_MISSED, "bot", text="x", extra=extra)
        )
        session.scalars(select(DeadlineRow)).one().status = "missed"
    with sessions() as session:
        assert [str(p) for p in audit.consistency(session)] == []
    with sessionmaker(engine).begin() as session:  # written back, its valid old seal with it
        session.execute(update(DeadlineRow).values(status=old_status, mac=old_mac))
    assert broken_seals(sessions) == []  # the seal alone does not see it
    with sessions() as session:
        [problem] = [str(p) for p in audit.consistency(session)]
    assert problem.startswith("deadlines row 1 (incident 1, assemble) is pending, but its timeline")


EVENTS_AT_0018 = table(
    "events",
    *(
        column(name)
        for name in ("incident_id", "seq", "kind", "actor", "text", "prev_hash", "hash")
    ),
    column("at", UTCDateTime()),
    column("extra", JSON()),
)


def old_bot_notes(engine: Engine, *incidents: int) -> None:
    """What a bot before 0019 appends (on a database stepped back to 0018): a note each, chained
    across incidents to bot_state's head."""
    with sessionmaker(engine).begin() as session:
        for n, incident in enumerate(incidents):
            seq = 1 + int(
                session.scalar(
                    select(func.max(EventRow.seq)).where(EventRow.incident_id == incident)
                )
                or 0
            )
            row = EventRow(
                incident_id=incident,
                seq=seq,
                at=at(7 + n),
                kind="note_added",
                actor="U0OLD",
                severity=None,
                subject=None,
                next_update_seconds=None,
                text="from an old pod",
                extra={},
            )
            head = Facts(session).lock(audit.HEAD, "", at(7))
            hashed = audit.digest(head.value, row)
            written = {k: getattr(row, k) for k in ("incident_id", "seq", "at", "kind", "actor")}
            session.execute(  # the column is prev_hash there, not this code's previous_hash
                insert(EVENTS_AT_0018).values(
                    **written, text=row.text, extra={}, prev_hash=head.value, hash=hashed
                )
            )
            head.value = hashed


def test_a_trail_chained_per_incident_then_across_then_per_incident_again(engine: Engine) -> None:
    """Down to 0018 and up again: each entry is checked by the rule it was written under, and
    an incident's chain runs on across the boundaries."""
    sessions = engines.sessions(engine)
    history(sessions)  # entries 1-5, per incident
    migrate.downgrade(engine, "0018")
    try:
        old_bot_notes(engine, 1, 2)  # entries 6 and 7, across incidents
    finally:
        migrate.upgrade(engine)
    with sessions.begin() as session:  # entry 8, per incident again
        Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0NEW", text="new"))
    with sessions() as session:
        assert audit.eras(session) == [(1, 6), (8, None)]
        chained = dict(session.execute(select(EventRow.id, EventRow.prev_hash)).all())
        hashes = dict(session.execute(select(EventRow.id, EventRow.hash)).all())
        heads = dict(session.execute(select(IncidentRow.id, IncidentRow.audit_head)).all())
    assert (chained[6], chained[7], chained[8]) == ("", hashes[6], hashes[6])
    assert heads == {1: hashes[8], 2: hashes[7]}  # 2's filled in by the upgrade
    assert problems(sessions) == []

    with sessions.begin() as session:
        session.execute(delete(EventRow).where(EventRow.id == 6))
    assert problems(sessions) == [
        "an entry between the start and entry 7 (incident 2, #3, note_added) was deleted (the "
        "chain is broken there)",
        "an entry between entry 5 and entry 8 (incident 1, #5, note_added) was deleted "
        "(incident 1's chain is broken there)",
    ]


def test_the_newest_entry_across_incidents_deleted_is_named_by_the_frozen_head(
    engine: Engine,
) -> None:
    sessions = engines.sessions(engine)
    history(sessions)
    migrate.downgrade(engine, "0018")
    try:
        old_bot_notes(engine, 2)  # entry 6, the newest across incidents
    finally:
        migrate.upgrade(engine)
    with sessions.begin() as session:
        Incidents(session).record(2, Event(0, at(9), EventKind.NOTE_ADDED, "U0NEW", text="new"))
    assert problems(sessions) == []
    with sessions.begin() as session:  # entry 6 deleted, incident 2's chain mended around it
        session.execute(delete(EventRow).where(EventRow.id == 6))
        entry = session.get(EventRow, 7)
        assert entry is not None
        before = session.get(EventRow, 4)
        assert before is not None
        entry.prev_hash = before.hash
        entry.hash = audit.digest(entry.prev_hash or "", entry)
        session.execute(
            update(IncidentRow).where(IncidentRow.id == 2).values(audit_head=entry.hash)
        )
    assert problems(sessions) == [
        "the newest entries after the start were deleted (the chain's recorded head is missing)"
    ]


def test_two_incidents_appends_do_not_wait_for_each_other(engine: Engine) -> None:
    """One transaction holds an append to incident 1 uncommitted; another appends to incident 2
    and commits before it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    import threading

    sessions = engines.sessions(engine, KEY)
    history(sessions)
    appended, committed = threading.Event(), threading.Event()
    done: list[str] = []

    def first() -> None:
        try:
            with sessions.begin() as session:
                Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0A", text="a"))
                appended.set()
                if not committed.wait(timeout=20):  # only if the other append waits for this one
                    done.append("incident 2 waited for incident 1")
            done.append("incident 1")
        finally:
            appended.set()

    def second() -> None:
        assert appended.wait(timeout=20)
        with sessions.begin() as session:
            Incidents(session).record(2, Event(0, at(9), EventKind.NOTE_ADDED, "U0B", text="b"))
        done.append("incident 2")
        committed.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == ["incident 2", "incident 1"]
    assert problems(sessions) == []
    with sessions() as session:
        assert audit.against(session, KEY, audit.checkpoint(session, KEY, at(10))) == []


def test_a_checkpoint_waits_for_the_appends_under_way(engine: Engine) -> None:
    """An append to incident 1 (entry 6) still uncommitted when one to incident 2 (entry 7)
    commits: a checkpoint taken then waits for entry 6, so the later one holds to it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time: entries commit in id order")
    import threading

    sessions = keyed(engine)
    history(sessions)
    appended, release = threading.Event(), threading.Event()
    points: list[dict[str, object]] = []

    def first() -> None:
        try:
            with sessions.begin() as session:
                Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0A", text="a"))
                appended.set()
                assert release.wait(timeout=20)
        finally:
            appended.set()

    def checkpoint() -> None:
        with sessions() as session:
            points.append(audit.checkpoint(session, KEY, at(10)))

    holding = threading.Thread(target=first)
    holding.start()
    assert appended.wait(timeout=20)
    with sessions.begin() as session:
        Incidents(session).record(2, Event(0, at(9), EventKind.NOTE_ADDED, "U0B", text="b"))
    taking = threading.Thread(target=checkpoint)
    taking.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    with engine.connect() as watcher:  # until the checkpoint is seen waiting for the lock
        for _ in range(2000):
            if watcher.exec_driver_sql(waiting).scalar():
                break
            watcher.rollback()
            threading.Event().wait(0.01)
        else:
            pytest.fail("the checkpoint never waited for the append under way")
    assert taking.is_alive() and not points
    release.set()
    holding.join()
    taking.join()
    [point] = points
    assert (point["last"], point["entries"]) == (7, 7)
    with sessions() as session:
        assert audit.against(session, KEY, point) == []


def sealed_at_0018(engine: Engine) -> dict[int, bool]:
    """Whether each incident row's seal matches it as a bot at 0018 seals it (no chain head)."""
    columns = [c for c in IncidentRow.__table__.c if c.key != "audit_head"]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).mappings().all()
    found = {}
    for row in rows:
        bare = {k: seals.plain(v) for k, v in row.items() if k not in ("mac", "id")}
        found[row["id"]] = row["mac"] == seals.mac_of(KEY, "incidents", bare)
    return found


def test_0019_reseals_the_incident_rows_whose_seal_held_given_the_key(engine: Engine) -> None:
    sessions = keyed(engine)
    history(sessions)
    with engine.begin() as connection:  # edited behind the bot's back: its seal does not hold
        connection.execute(update(IncidentRow).where(IncidentRow.id == 2).values(description="x"))
    edited = "incidents row 2 was edited: its content no longer matches its seal"
    assert broken_seals(sessions) == [edited]
    migrate.downgrade(engine, "0018", KEY)
    try:
        assert sealed_at_0018(engine) == {1: True, 2: False}  # as a bot at 0018 seals it
    finally:
        migrate.upgrade(engine)  # without the key: row 1's seal goes stale
    stale = "incidents row 1 was edited: its content no longer matches its seal"
    assert broken_seals(sessions) == [stale, edited]
    migrate.downgrade(engine, "0018")
    try:
        assert sealed_at_0018(engine) == {1: True, 2: False}  # it matches that row again
    finally:
        migrate.upgrade(engine, key=KEY)
    assert broken_seals(sessions) == [edited]  # row 1 resealed with its head, row 2 left


def test_a_checkpoint_held_up_by_an_append_gives_up_and_holds_appends_no_longer(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    import threading

    from sqlalchemy.exc import OperationalError

    sessions = keyed(engine)
    history(sessions)
    appended, release = threading.Event(), threading.Event()

    def held() -> None:
        try:
            with sessions.begin() as session:
                Incidents(session).record(1, Event(0, at(9), EventKind.NOTE_ADDED, "U0A", text="a"))
                appended.set()
                assert release.wait(timeout=20)
        finally:
            appended.set()

    holding = threading.Thread(target=held)
    holding.start()
    try:
        assert appended.wait(timeout=20)
        with pytest.raises(OperationalError, match="lock timeout"), sessions() as session:
            audit.checkpoint(session, KEY, at(10), wait=0.2)
        with sessions.begin() as session:  # not held behind the checkpoint that gave up
            Incidents(session).record(2, Event(0, at(9), EventKind.NOTE_ADDED, "U0B", text="b"))
    finally:
        release.set()
        holding.join()
    assert problems(sessions) == []


def test_a_missed_deadline_deleted_or_replaced_by_another_incidents_row_is_named(
    tmp_path: Path,
) -> None:
    """r17b: delete incident 1's missed deadline and put an older sealed version of another
    incident's row in its place (row counts unchanged, no seal copied exactly). On a database
    of its own: the deadlines table is rebuilt without its unique key, the SQLite way."""
    engine = engines.connect(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    migrate.upgrade(engine)
    sessions = keyed(engine)
    first, second = history(sessions), history(sessions)
    due = at(5)
    with sessions.begin() as session:
        for incident in (first, second):
            session.add(
                DeadlineRow(
                    incident_id=incident,
                    key="assemble",
                    kind="assemble",
                    severity="sev1",
                    opened_at=T0,
                    due_at=due,
                    status="pending",
                )
            )
    with sessions.begin() as session:
        extra = {"deadline": "assemble", "due_at": due.isoformat(), "reached": "1"}
        Incidents(session).record(
            first, Event(0, at(6), EventKind.DEADLINE_MISSED, "bot", text="x", extra=extra)
        )
        missed = select(DeadlineRow).where(DeadlineRow.incident_id == first)
        session.scalars(missed).one().status = "missed"
    with sessions() as session:
        assert [str(p) for p in audit.consistency(session)] == []
    with engine.begin() as connection:  # the table rebuilt without its unique key, then
        for statement in (  # incident 1's row given to incident 2: gone here, twice there
            "CREATE TABLE loose AS SELECT * FROM deadlines",
            "DROP TABLE deadlines",
            "ALTER TABLE loose RENAME TO deadlines",
            f"UPDATE deadlines SET incident_id = {second} WHERE incident_id = {first}",
        ):
            connection.exec_driver_sql(statement)
    with sessions() as session:
        problems = [str(p) for p in audit.consistency(session)]
    assert "incident 1's timeline says assemble was missed, but its deadlines row is gone" in (
        " ".join(problems)
    )
    assert f"incident {second} has 2 deadlines rows for assemble: copied" in problems
    engine.dispose()
