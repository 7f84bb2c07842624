"""Apply and inspect Alembic migrations (on start and by `incident-bot db upgrade`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from bot.adapters.db import engine as engines

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads "%" as interpolation: a URL with an escaped character (a password's
    # "%40", SQLite's "file%3A" URI) is stored with each "%" doubled.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Replicas starting together on an empty PostgreSQL take turns (SQLite's write lock does the same).
_MIGRATION_LOCK = 72_000_001


# Where a migration finds AUDIT_KEY (Config.attributes), to reseal the rows it changes whose
# seal matched before; None: it leaves their seals stale (`audit seal --reseal`).
AUDIT_KEY = "audit_key"


def upgrade(engine: Engine, revision: str = "head", key: bytes | None = None) -> None:
    """Bring the database to ``revision`` in one transaction (``key``: AUDIT_KEY)."""
    _run(engine, command.upgrade, revision, key)


def downgrade(engine: Engine, revision: str, key: bytes | None = None) -> None:
    """Step the database back to ``revision`` (before rolling the bot back across a migration;
    ``key``: AUDIT_KEY)."""
    _run(engine, command.downgrade, revision, key)


def _run(
    engine: Engine, step: Callable[[Config, str], None], revision: str, key: bytes | None
) -> None:
    config = _config(engine)
    config.attributes[AUDIT_KEY] = key
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode re-creates a table to alter it on SQLite; with foreign keys enforced,
            # dropping the old copy of a table other rows point at fails. Off for the migration
            # (it only works outside a transaction), checked before the commit, on again after.
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                if not sqlite:
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    connection.execute(lock, {"key": _MIGRATION_LOCK})
                config.attributes["connection"] = connection
                step(config, revision)
                _mark_readers(connection, ScriptDirectory.from_config(config))
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError(f"migrating to {revision} broke a foreign key")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


# bot_state's key naming the revisions whose code may run on the schema as it is: the current
# one, and the one before it when the current migration is expand-only (it only adds).
READERS = "schema_readable_by"


def _mark_readers(connection: Connection, scripts: ScriptDirectory) -> None:
    """Leave in the database which bots may run on it, for older code that does not know the
    newest migration (readiness and start-up read it)."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None or not inspect(connection).has_table("bot_state"):
        return
    script = scripts.get_revision(current)
    assert script is not None
    readers = [current]
    if getattr(script.module, "expand_only", False) and isinstance(script.down_revision, str):
        readers.append(script.down_revision)
    connection.execute(text("DELETE FROM bot_state WHERE key = :key"), {"key": READERS})
    connection.execute(
        text("INSERT INTO bot_state (key, value, updated_at) VALUES (:key, :value, :at)"),
        {"key": READERS, "value": ",".join(readers), "at": datetime.now(UTC)},
    )


def readers(engine: Engine) -> list[str]:
    """The revisions whose code may run on the database as it is (empty: not recorded)."""
    with engines.reading(engine) as connection:
        if not inspect(connection).has_table("bot_state"):
            return []
        value = connection.scalar(
            text("SELECT value FROM bot_state WHERE key = :key"), {"key": READERS}
        )
    return str(value).split(",") if value else []


def _pragma(connection: Connection, setting: str) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA {setting}")


def current(engine: Engine) -> str | None:
    with engines.reading(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def revisions(engine: Engine) -> list[str]:
    """Every revision, the newest first."""
    scripts = ScriptDirectory.from_config(_config(engine))
    return [script.revision for script in scripts.walk_revisions()]


def is_current(engine: Engine) -> bool:
    return current(engine) == head(engine)
