"""bot-wide timers (the weekly digest): timers.incident_id nullable, their keys unique

A timer with no incident is the bot's own (``Purpose.DIGEST``); a partial unique index keeps
one row per key among them (the pair (incident_id, key) does not, NULL being distinct), so
replicas arming the same week's digest make one timer. Expand-only: a bot one migration
behind never writes a NULL and keeps running; only while a digest is due and not yet fired
does its claim meet a purpose it does not know, which fails that tick (nothing is claimed, the
row stays pending) until a newer replica fires the digest, seconds later.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True

BOT_WIDE = "incident_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.alter_column("incident_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "uq_timers_bot_wide_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text(BOT_WIDE),
            postgresql_where=sa.text(BOT_WIDE),
        )


def downgrade() -> None:
    op.execute("DELETE FROM timers WHERE incident_id IS NULL")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("uq_timers_bot_wide_key")
        batch_op.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
