"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def connect(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, **options)
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _tune_sqlite(connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event start transactions (see _begin_immediate).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


READ_ONLY = "incident_bot_read_only"
"""The execution option of a connection that only reads (``UnitOfWork.read_only``)."""


def _begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer got in between; taking the write lock up front makes writers queue.
    # One that only reads needs no lock: under WAL it reads a snapshot beside any writer.
    reading = connection.get_execution_options().get(READ_ONLY)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def sessions(engine: Engine, audit_key: bytes | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``audit_key``, every row they write to the audited tables
    is sealed with it (bot/adapters/db/seals.py)."""
    made = sessionmaker(engine, expire_on_commit=False)
    if audit_key is not None:
        from bot.adapters.db import seals  # the tables import this module's neighbours

        seals.seal_on_write(made, audit_key)
    return made


def reachable(engine: Engine) -> str | None:
    """None when the database answers; else the kind of error (for readiness, never raised)."""
    # SQLite answers SELECT 1 without reading its file; the schema version reads it.
    probe = "PRAGMA schema_version" if engine.dialect.name == "sqlite" else "SELECT 1"
    try:
        with engine.connect() as connection:
            connection.execute(text(probe))
    except SQLAlchemyError as error:
        return type(error).__name__
    return None
