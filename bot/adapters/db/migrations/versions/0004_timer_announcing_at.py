"""timer announcing_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 23:14:05.966117
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.adapters.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "announcing_at", bot.adapters.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("announcing_at")
