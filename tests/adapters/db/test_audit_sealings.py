"""The records of `audit seal` kept outside the database (AUDIT_CHECKPOINT_FILE, the log) hold
the database's own records to them (issue 17): deleting bot_state's ``audit_seals`` is seen by
`audit verify --checkpoints FILE`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from bot.adapters.db import audit, migrate, seals
from bot.adapters.db import engine as engines
from bot.adapters.db.tables import DeadlineRow, StateRow
from bot.entrypoints.checkpoints import read, sealings
from tests.adapters.db.test_audit import cli, history
from tests.core.timelines import T0, at

KEY = "k" * 32


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[Path, Path]:
    """A database whose rows were sealed, and the file holding the sealing's record."""
    database = tmp_path / "audit.sqlite3"
    engine = engines.connect(f"sqlite:///{database}")
    migrate.upgrade(engine)
    history(engines.sessions(engine))
    engine.dispose()
    file = tmp_path / "checkpoints.jsonl"
    done = cli(database, "seal", key=KEY, env={"AUDIT_CHECKPOINT_FILE": str(file)})
    assert done.returncode == 0, done.stderr
    return database, file


def test_the_file_s_sealing_records_are_read_apart_from_its_checkpoints(
    sealed: tuple[Path, Path],
) -> None:
    _, file = sealed
    lines = file.read_text().splitlines()
    [record] = sealings(lines)
    assert record["action"] == "seal"
    assert read(lines) == []


def test_the_records_held_verify(sealed: tuple[Path, Path]) -> None:
    database, file = sealed
    verified = cli(database, "verify", "--checkpoints", str(file), key=KEY)
    assert verified.returncode == 0, verified.stderr


def test_deleted_sealing_records_are_seen_against_the_file(sealed: tuple[Path, Path]) -> None:
    database, file = sealed
    engine = engines.connect(f"sqlite:///{database}")
    with engines.sessions(engine).begin() as session:
        session.execute(delete(StateRow).where(StateRow.key == audit.RESEALS))
    engine.dispose()
    assert cli(database, "verify", key=KEY).returncode == 0  # unseen inside the database
    held = cli(database, "verify", "--checkpoints", str(file), key=KEY)
    assert held.returncode == 1
    [record] = sealings(file.read_text().splitlines())
    assert (
        f"TAMPERED: the record of the sealing of {record['at']} is missing from the database"
        in held.stderr
    )


def test_a_rewritten_sealing_record_is_seen_against_the_file(sealed: tuple[Path, Path]) -> None:
    database, file = sealed
    engine = engines.connect(f"sqlite:///{database}")
    with engines.sessions(engine).begin() as session:  # the rows it named, shortened
        session.execute(
            update(StateRow).where(StateRow.key == audit.RESEALS).values(value=json.dumps([]))
        )
    engine.dispose()
    held = cli(database, "verify", "--checkpoints", str(file), key=KEY)
    assert held.returncode == 1
    assert "is missing from the database" in held.stderr


def test_a_record_in_the_file_under_another_key_is_named(sealed: tuple[Path, Path]) -> None:
    database, file = sealed
    forged = {"at": "2026-01-01T00:00:00+00:00", "action": "seal", "rows": {}, "mac": "0"}
    with file.open("a") as out:
        out.write(json.dumps({"audit_sealing": forged}) + "\n")
    held = cli(database, "verify", "--checkpoints", str(file), key=KEY)
    assert held.returncode == 1
    assert "not in it and not signed with this AUDIT_KEY" in held.stderr


def test_a_deleted_deadline_replaced_by_a_copy_of_another_sealed_row_is_named(
    tmp_path: Path,
) -> None:
    """The seal does not cover the id: a missed deadline deleted and a copy of a met one put
    under its id (the unique constraint dropped by rebuilding the table) still verifies by its
    seal; the copy is named as one."""
    engine = engines.connect(f"sqlite:///{tmp_path / 'copies.sqlite3'}")
    migrate.upgrade(engine)
    sessions = engines.sessions(engine, KEY.encode())
    incident = history(sessions)
    with sessions.begin() as session:
        for key, status in (("assemble", "met"), ("update", "missed")):
            session.add(
                DeadlineRow(
                    incident_id=incident,
                    key=key,
                    kind=key,
                    severity="sev1",
                    opened_at=T0,
                    due_at=at(5),
                    status=status,
                )
            )
    with engine.begin() as connection:
        for statement in (
            "DELETE FROM deadlines WHERE status = 'missed'",
            "CREATE TABLE copied AS SELECT * FROM deadlines",
            "DROP TABLE deadlines",
            "ALTER TABLE copied RENAME TO deadlines",
            "INSERT INTO deadlines SELECT 2, incident_id, key, kind, severity, opened_at, due_at, "
            "status, met_at, cancelled_at, mac FROM deadlines WHERE id = 1",
        ):
            connection.exec_driver_sql(statement)
    with sessions() as session:
        found = list(seals.broken(session, KEY.encode()))
    engine.dispose()
    assert found == [
        "deadlines row 2 is a copy of row 1: a sealed row was written again under another id "
        "(a row deleted there and replaced, or one added)"
    ]
