"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def connect(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS}, **options)
        event.listen(engine, "connect", _tune_sqlite)
        writers = WRITERS[engine] = Writers(GroupSync.of(engine.url.database))
        writers.leave_after(engine)
        event.listen(engine, "begin", lambda connection: _begin_immediate(connection, writers))
        return engine
    asked = make_url(url).query  # a parameter in DATABASE_URL itself wins
    defaults = {key: value for key, value in POSTGRES_TIMEOUTS.items() if key not in asked}
    connect_args = {**defaults, **options.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **options)


POSTGRES_TIMEOUTS: dict[str, int] = {
    "connect_timeout": 5,  # seconds: a server that accepts and never answers fails the connect
    "keepalives": 1,  # a peer gone silent (a partition) is found in 10 + 3 x 5 seconds
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # ms: data sent and unacknowledged this long fails the call
}
"""libpq's connection parameters for every PostgreSQL connection, unless DATABASE_URL names
them: without them a database that hangs instead of refusing holds a connection attempt or a
call for as long as TCP keeps trying (many minutes), with no error and no log line."""


def _tune_sqlite(connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event start transactions (see _begin_immediate).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # the WAL is synced by GroupSync after commits
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

    def __init__(self, durable: GroupSync | None = None) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None  # the DBAPI connection whose transaction holds it
        self._durable = durable

    @property
    def held(self) -> bool:
        """Whether a write transaction of this process holds the lock now."""
        return self._lock.locked()

    def enter(self, dbapi_connection: object) -> None:
        if self._lock.acquire(timeout=BUSY_SECONDS):
            self._holder = dbapi_connection

    def leave(self, dbapi_connection: object) -> bool:
        """Let the next writer in if ``dbapi_connection`` holds the lock; whether it did."""
        if dbapi_connection is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()
            return True
        return False

    def leave_after(self, engine: Engine) -> None:
        """Leave once the SQLite connection has ended its transaction: after its COMMIT or
        ROLLBACK (the pool's reset on return included) or its close; SQLAlchemy's own
        commit and rollback events fire before the statement, too early to let the next in."""
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback", "do_close"):
            setattr(dialect, name, self._leaving(getattr(dialect, name), name == "do_commit"))

    def _leaving(self, end: Callable[[Any], None], commits: bool) -> Callable[[Any], None]:
        def ended(connection: Any) -> None:
            try:
                end(connection)
            finally:  # the pool hands the dialect its proxy; the transaction is the driver's
                wrote = self.leave(getattr(connection, "dbapi_connection", connection))
            if wrote and commits and self._durable is not None:  # on disk before going on
                self._durable.sync()

        return ended


class GroupSync:
    """Group commit for one SQLite file: a write transaction's COMMIT returns once its WAL
    frames are on disk, as under ``synchronous=FULL``, but the disk flush is shared.

    Under FULL, SQLite flushes the WAL inside every COMMIT while holding the write lock: 4.9 ms
    per transaction on this machine's disk against 0.05 ms without (measured here), so writers
    queued one flush at a time. Here connections commit with ``synchronous=NORMAL`` (no flush;
    SQLite still flushes before each checkpoint, so the file stays consistent), the next writer
    goes in at once, and each committer then waits for one ``fsync`` of the WAL begun after its
    COMMIT: one flush covers every transaction committed before it began. A process that dies
    loses nothing either way (the frames are in the OS's cache); after a power loss, what a
    caller was told is committed is on disk. Other connections can read a commit a few
    milliseconds before its flush ends (under FULL they read it after).
    """

    def __init__(self, wal: str) -> None:
        self._wal = wal
        self._changed = threading.Condition()
        self._asked = 0  # tickets handed to committers
        self._synced = 0  # every ticket up to this one is on disk
        self._syncing = False

    @classmethod
    def of(cls, database: str | None) -> GroupSync | None:
        """The group sync of a SQLite file; None for an in-memory database."""
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return None
        return cls(database + "-wal")

    def sync(self) -> None:
        """Return once everything committed before the call is on disk; OSError if the flush
        fails (the caller's transaction is then as unsure as under FULL's failed flush)."""
        with self._changed:
            self._asked += 1
            ticket = self._asked
            while self._synced < ticket:
                if self._syncing:
                    self._changed.wait()
                    continue
                self._syncing, covered = True, self._asked
                try:
                    self._changed.release()
                    try:
                        self._flush()
                    finally:
                        self._changed.acquire()
                    self._synced = max(self._synced, covered)
                finally:
                    self._syncing = False
                    self._changed.notify_all()

    def _flush(self) -> None:
        try:
            descriptor = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:  # checkpointed and removed at the last close: on disk
            return
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


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
