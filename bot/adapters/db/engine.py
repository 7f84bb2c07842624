"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def connect(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS}, **options)
        event.listen(engine, "connect", _tune_sqlite)
        writers = WRITERS[engine] = Writers()
        writers.leave_after(engine)
        event.listen(engine, "begin", lambda connection: _begin_immediate(connection, writers))
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _tune_sqlite(connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event start transactions (see _begin_immediate).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.close()


READ_ONLY = "incident_bot_read_only"
"""The execution option of a connection that only reads (``UnitOfWork.read_only``)."""


BUSY_SECONDS = 15
"""How long a SQLite writer waits for the write lock before "database is locked"."""


class Writers:
    """This process's SQLite write transactions, one at a time, queued on a lock.

    SQLite's own wait for its write lock sleeps in growing steps (1, 2, 5 … 100 ms) and
    retries, so under a burst a waiter sleeps long after the lock was freed: profiles of 50
    declarations at once showed workers spending most of their time there. Queued here, the
    next writer starts the moment the last one commits or rolls back. Other processes sharing
    the file still meet SQLite's wait; a writer that waited ``BUSY_SECONDS`` here goes on to
    it, so a mistake here slows writes, never stops them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None  # the DBAPI connection whose transaction holds it

    @property
    def held(self) -> bool:
        """Whether a write transaction of this process holds the lock now."""
        return self._lock.locked()

    def enter(self, dbapi_connection: object) -> None:
        if self._lock.acquire(timeout=BUSY_SECONDS):
            self._holder = dbapi_connection

    def leave(self, dbapi_connection: object) -> None:
        if dbapi_connection is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()

    def leave_after(self, engine: Engine) -> None:
        """Leave once the SQLite connection has ended its transaction: after its COMMIT or
        ROLLBACK (the pool's reset on return included) or its close; SQLAlchemy's own
        commit and rollback events fire before the statement, too early to let the next in."""
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback", "do_close"):
            setattr(dialect, name, self._leaving(getattr(dialect, name)))

    def _leaving(self, end: Callable[[Any], None]) -> Callable[[Any], None]:
        def ended(connection: Any) -> None:
            try:
                end(connection)
            finally:  # the pool hands the dialect its proxy; the transaction is the driver's
                self.leave(getattr(connection, "dbapi_connection", connection))

        return ended


WRITERS: weakref.WeakKeyDictionary[Engine, Writers] = weakref.WeakKeyDictionary()
"""Each SQLite engine's writer queue."""


def _begin_immediate(connection: Connection, writers: Writers) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer got in between; taking the write lock up front makes writers queue.
    # One that only reads needs no lock: under WAL it reads a snapshot beside any writer.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
        return
    dbapi_connection = connection.connection.dbapi_connection
    writers.enter(dbapi_connection)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        writers.leave(dbapi_connection)
        raise


def sessions(engine: Engine, audit_key: bytes | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``audit_key``, every row they write to the audited tables
    is sealed with it (bot/adapters/db/seals.py); without, a sealed row they change loses its
    seal."""
    from bot.adapters.db import seals  # the tables import this module's neighbours

    made = sessionmaker(engine, expire_on_commit=False)
    if audit_key is not None:
        seals.seal_on_write(made, audit_key)
    else:  # a seal it cannot renew is dropped: "not sealed", not "edited", at verify
        seals.unseal_on_write(made)
    return made


def reading(engine: Engine) -> Connection:
    """A connection that only reads: on SQLite its transactions neither queue behind writers
    nor take the write lock (under WAL they read a snapshot beside any writer)."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def reachable(engine: Engine) -> str | None:
    """None when the database answers; else the kind of error (for readiness, never raised)."""
    # SQLite answers SELECT 1 without reading its file; the schema version reads it.
    probe = "PRAGMA schema_version" if engine.dialect.name == "sqlite" else "SELECT 1"
    try:
        with reading(engine) as connection:
            connection.execute(text(probe))
    except SQLAlchemyError as error:
        return type(error).__name__
    return None
