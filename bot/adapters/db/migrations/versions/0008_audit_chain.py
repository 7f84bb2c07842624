"""audit chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 23:51:49.203105
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

import bot.adapters.db.types
from bot.adapters.db import audit

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_hash"), ["hash"])
    _chain_existing_entries()


def _chain_existing_entries() -> None:
    """Entries written before the chain existed join it, in the order they were written."""
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("incident_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("at", bot.adapters.db.types.UTCDateTime()),
        sa.column("kind", sa.String),
        sa.column("actor", sa.String),
        sa.column("severity", sa.String),
        sa.column("subject", sa.String),
        sa.column("next_update_seconds", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("extra", sa.JSON),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    connection = op.get_bind()
    previous = ""
    for row in connection.execute(sa.select(events).order_by(events.c.id)).all():
        entry = SimpleNamespace(**row._mapping)
        digest = audit.digest(previous, entry)  # type: ignore[arg-type]
        connection.execute(
            events.update().where(events.c.id == row.id).values(prev_hash=previous, hash=digest)
        )
        previous = digest
    # A head left behind by a downgrade made before that downgrade removed it goes first, and
    # so do the ranges of ids a later migration (0019) chained per incident: all are re-chained.
    connection.execute(_STATE.delete().where(_STATE.c.key.in_([audit.HEAD, audit.ERAS])))
    if previous:
        connection.execute(
            _STATE.insert().values(key=audit.HEAD, value=previous, updated_at=datetime.now(UTC))
        )


_STATE = sa.table(
    "bot_state",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("updated_at", bot.adapters.db.types.UTCDateTime()),
)


def downgrade() -> None:
    # The chain's head (and 0019's ranges) go with the chain: upgrading again chains anew.
    op.get_bind().execute(_STATE.delete().where(_STATE.c.key.in_([audit.HEAD, audit.ERAS])))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
