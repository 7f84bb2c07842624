"""Every migration goes down and up again, so a bot image can be rolled back across one."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, column, insert, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import audit, migrate
from bot.adapters.db import engine as engines
from bot.adapters.db.incidents import Incidents
from bot.adapters.db.tables import IncidentServiceRow
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.alerts import Alert
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.playbooks import loader
from bot.services.alerts import AlertRecords
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.records import StatusUpdate
from tests.core.timelines import T0


def run(tmp_path: Path, *words: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "db", *words],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"},
        cwd=tmp_path,
    )
    return finished.stdout.strip()


def test_down_to_nothing_and_back_up(tmp_path: Path) -> None:
    engine = engines.connect(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        migrate.upgrade(engine)
        head = migrate.head(engine)
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        assert migrate.current(engine) == head
    finally:
        engine.dispose()


def test_the_command_line_steps_back_one_revision(tmp_path: Path) -> None:
    assert run(tmp_path, "upgrade") == "database is at revision 0020"
    assert run(tmp_path, "downgrade", "-1") == "database is at revision 0019"
    assert run(tmp_path, "upgrade") == "database is at revision 0020"


def fill(sessions: sessionmaker[Session], repo_root: Path) -> list[int]:
    """A database full of incidents: every table the bot writes has rows."""
    now = T0
    units = units_of_work(sessions)
    service = IncidentService(units, loader.load(repo_root / "playbooks").policies, lambda: now)
    DeployService(units, lambda: now).record(
        Deploy("checkout", "v412", T0 - timedelta(minutes=40), "U0DEV", "abc1234"), "cli", "d-1"
    )
    AlertRecords(units, lambda: now).receive(
        [Alert("f1", "firing", "Errors", "critical", "checkout", "5xx", {}, T0, None, None)]
    )
    numbers = []
    for n, severity in enumerate([Severity.SEV1, Severity.SEV2, Severity.SEV3], start=1):
        view = service.declare(severity=severity, title=f"incident {n}", by="U0ALICE").view
        service.attach_channel(view.id, f"C{n}", f"inc-{n}")
        service.record(view.id, EventKind.ACKNOWLEDGED, "U0BOB")
        update = StatusUpdate(now, "U0BOB", "slow", "5%", "rolling back", timedelta(minutes=30), "")
        service.post_status_update(view.id, update, lambda _: None)
        numbers.append(view.id)
    service.record(numbers[0], EventKind.RESOLVED, "U0ALICE")
    service.postmortem_drafted(numbers[0], "# Post-mortem: incident 1\n", now)
    service.publish_postmortem(numbers[0], "https://wiki.example/pm-1", "U0BOB", lambda _: None)
    service.put_fact("fingerprint", "x")
    return numbers


def test_every_migration_goes_down_and_up_again_on_a_database_full_of_incidents(
    engine: Engine, sessions: sessionmaker[Session], repo_root: Path
) -> None:
    """From the head, each revision in turn: down one step, up again (on the data left by the
    steps above it), down again; then up to the head, with the incidents and their trail whole."""
    numbers = fill(sessions, repo_root)
    with sessions() as session:
        before = {n: Incidents(session).get(n).incident.state for n in numbers}
    revisions = migrate.revisions(engine)  # newest first
    try:
        for revision, below in itertools.pairwise([*revisions, None]):
            if below is None:
                break  # to nothing and back: test_down_to_nothing_and_back_up
            migrate.downgrade(engine, below)
            migrate.upgrade(engine, revision)
            assert migrate.current(engine) == revision
            migrate.downgrade(engine, below)
    finally:
        migrate.upgrade(engine)
    assert migrate.current(engine) == revisions[0]
    with sessions() as session:
        after = {n: Incidents(session).get(n).incident.state for n in numbers}
        assert [str(p) for p in audit.verify(session)] == []
    assert after == before


AT_0017 = table(
    "incidents",
    *(
        column(name)
        for name in (
            "id",
            "title",
            "description",
            "severity",
            "state",
            "declared_at",
            "declared_by",
            "started_at",
            "services",
            "setup_done",
            "updated_at",
        )
    ),
)


def test_0018_names_the_services_each_incident_lists(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The upgrade fills incident_services from incidents.services as a bot at 0017 left it:
    a row per name, exactly as written; none for an empty list or an empty name."""
    migrate.downgrade(engine, "0017")
    try:
        listed = ["checkout,search", "", "Payments,,checkout", "search"]
        with sessions.begin() as session:  # the columns 0017 has (not this code's model's)
            for n, services in enumerate(listed, start=1):
                session.execute(
                    insert(AT_0017).values(
                        id=n,
                        title=f"incident {n}",
                        description="",
                        severity="sev2",
                        state="investigating",
                        declared_at=T0,
                        declared_by="U0ALICE",
                        started_at=T0,
                        services=services,
                        setup_done="",
                        updated_at=T0,
                    )
                )
        migrate.upgrade(engine, "0018")
    finally:
        migrate.upgrade(engine)
    with sessions() as session:
        rows = session.execute(select(IncidentServiceRow.incident_id, IncidentServiceRow.service))
        named = sorted(tuple(row) for row in rows)
    assert named == [
        (1, "checkout"),
        (1, "search"),
        (3, "Payments"),
        (3, "checkout"),
        (4, "search"),
    ]


def test_a_bot_before_0019_can_neither_read_nor_append_a_timeline_on_it(
    engine: Engine, sessions: sessionmaker[Session], repo_root: Path
) -> None:
    """Its entries would chain across incidents, which the trail no longer holds: the column it
    chains with is renamed, so it fails instead (and can again after a downgrade)."""
    fill(sessions, repo_root)
    before = table("events", column("id"), column("prev_hash"))
    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.execute(select(before.c.prev_hash))
    migrate.downgrade(engine, "0018")
    try:
        with engine.connect() as connection:
            assert connection.execute(select(before.c.prev_hash)).first() is not None
    finally:
        migrate.upgrade(engine)


def test_rolling_back_below_0019_and_up_again_keeps_one_range_when_nothing_came_between(
    engine: Engine, sessions: sessionmaker[Session], repo_root: Path
) -> None:
    """r17b: each round trip added an empty range to ``audit_per_incident``."""
    fill(sessions, repo_root)

    def eras() -> str | None:
        state = table("bot_state", column("key"), column("value"))
        with engine.connect() as connection:
            found = connection.execute(select(state.c.value).where(state.c.key == audit.ERAS))
            return found.scalar_one_or_none()

    assert eras() is None  # made at 0019: every entry chained per incident
    for _ in range(3):
        migrate.downgrade(engine, "0018")
        migrate.upgrade(engine)
    assert eras() == "[[1, null]]"  # the same, said
    with sessions() as session:
        assert audit.verify(session) == []
