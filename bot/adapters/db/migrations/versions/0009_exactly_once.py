"""exactly once: timeline entries with a once-only key, and Slack deliveries seen

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.adapters.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("once_key", sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_once_key"), ["once_key"])
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("received_at", bot.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_received_at"), ["received_at"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_received_at"))
    op.drop_table("deliveries")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_once_key"), type_="unique")
        batch_op.drop_column("once_key")
