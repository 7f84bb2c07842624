"""How a database's schema fits the code: behind (migrate it), current, or ahead (a rollout's
newer migration), readable when that migration only added."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate, schema
from bot.adapters.db.schema import Fit


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = engines.connect(f"sqlite:///{tmp_path / 's.sqlite3'}")
    yield engine
    engine.dispose()


def migrated_by_a_newer_bot(engine: Engine, readers: str) -> None:
    """As a newer bot's migration leaves it: a revision this code does not know, and its
    mark of which code may read the schema."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        connection.execute(
            text("UPDATE bot_state SET value = :readers WHERE key = :key"),
            {"readers": readers, "key": migrate.READERS},
        )


def test_a_database_behind_is_migrated_at_start_up(database: Engine) -> None:
    migrate.upgrade(database, "0012")
    behind = schema.inspect(database)
    assert (behind.fit, behind.usable) == (Fit.BEHIND, False)
    assert "run `incident-bot db upgrade`" in behind.advice()

    assert schema.prepare(database).fit is Fit.CURRENT
    assert migrate.current(database) == migrate.head(database)


def test_an_expand_only_migration_marks_the_code_before_it_as_a_reader(database: Engine) -> None:
    migrate.upgrade(database)
    assert migrate.head(database) == "0020"  # expand-only: a column widened
    assert migrate.readers(database) == ["0020", "0019"]
    migrate.downgrade(database, "0019")  # not expand-only: the audit chain changed
    assert migrate.readers(database) == ["0019"]
    migrate.downgrade(database, "0018")  # not expand-only: an older bot would not write it
    assert migrate.readers(database) == ["0018"]
    migrate.downgrade(database, "0017")  # expand-only: a view replaced (on PostgreSQL)
    assert migrate.readers(database) == ["0017", "0016"]
    migrate.downgrade(database, "0013")  # not marked expand-only: no older reader
    assert migrate.readers(database) == ["0013"]


def test_one_expand_only_migration_ahead_is_usable(database: Engine) -> None:
    migrate.upgrade(database)
    head = migrate.head(database)
    migrated_by_a_newer_bot(database, f"0099,{head}")

    ahead = schema.inspect(database)

    assert (ahead.fit, ahead.usable) == (Fit.AHEAD_READABLE, True)
    assert ahead.advice() == (
        f"the database is at revision 0099, one expand-only migration ahead of this code "
        f"({head}): fine"
    )
    assert schema.prepare(database).fit is Fit.AHEAD_READABLE  # starts, migrating nothing
    assert migrate.current(database) == "0099"


def test_a_database_ahead_and_not_readable_is_refused_with_what_to_do(database: Engine) -> None:
    migrate.upgrade(database)
    head = migrate.head(database)
    migrated_by_a_newer_bot(database, "0099")

    ahead = schema.inspect(database)

    assert (ahead.fit, ahead.usable) == (Fit.AHEAD, False)
    assert "db upgrade" not in ahead.advice()
    assert f"run `incident-bot db downgrade {head}` first" in ahead.advice()
    with pytest.raises(schema.SchemaAhead, match="newer than this code"):
        schema.prepare(database)
