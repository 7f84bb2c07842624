"""Whether this code may run on the database's schema, and what to do when it may not.

During a rollout the migration runs first (a Job), so old replicas meet a schema one migration
ahead of their code; an expand-only migration (it only adds) leaves them working, and says so
in the database (``migrate.READERS``), since old code cannot know a migration newer than itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine

from bot.adapters.db import migrate


class Fit(StrEnum):
    CURRENT = "current"
    BEHIND = "behind"  # the database needs this code's migrations
    AHEAD_READABLE = "ahead_readable"  # newer, but its newest migration only added
    AHEAD = "ahead"  # newer, and this code may not run on it


@dataclass(frozen=True)
class Schema:
    """Where the database is (``current``, None when empty) against this code's ``head``."""

    current: str | None
    head: str
    fit: Fit

    @property
    def usable(self) -> bool:
        return self.fit in (Fit.CURRENT, Fit.AHEAD_READABLE)

    def advice(self) -> str:
        """One line: where the database is, and what to do if this code cannot use it."""
        at = f"the database is at revision {self.current or '(none)'}"
        if self.fit is Fit.CURRENT:
            return f"{at}, as this code expects"
        if self.fit is Fit.BEHIND:
            return (
                f"{at}, this code expects {self.head}: run `incident-bot db upgrade` "
                "(the migration Job does it before a rollout)"
            )
        if self.fit is Fit.AHEAD_READABLE:
            return f"{at}, one expand-only migration ahead of this code ({self.head}): fine"
        return (
            f"{at}, newer than this code ({self.head}) and not readable by it: finish the "
            f"rollout to the newer image, or with that image run `incident-bot db downgrade "
            f"{self.head}` first (docs/runbooks/bot-down.md)"
        )


def inspect(engine: Engine) -> Schema:
    """How the database's schema fits this code. Raises SQLAlchemyError if unreachable."""
    current, head = migrate.current(engine), migrate.head(engine)
    assert head is not None
    if current == head:
        fit = Fit.CURRENT
    elif current is None or current in migrate.revisions(engine):
        fit = Fit.BEHIND
    elif head in migrate.readers(engine):
        fit = Fit.AHEAD_READABLE
    else:
        fit = Fit.AHEAD
    return Schema(current, head, fit)


class SchemaAhead(Exception):
    """The database was migrated past what this code can run on; the message says what to do."""


class NotThisRevision(Exception):
    """A command that works only on this code's own revision (the audit commands) met another;
    it changed nothing. The message says where the database is and what to run instead."""


def prepare(engine: Engine, key: bytes | None = None) -> Schema:
    """At start-up: migrate a database that is behind (``key``: AUDIT_KEY, for the migrations
    that reseal what they change); accept one that is ahead only if this code may run on it
    (else SchemaAhead)."""
    schema = inspect(engine)
    if schema.fit is Fit.BEHIND:
        migrate.upgrade(engine, key=key)
        return inspect(engine)
    if schema.fit is Fit.AHEAD:
        raise SchemaAhead(schema.advice())
    return schema
