"""note marks: what keeps a channel message noted (its pin, each person's :pushpin:)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "note_marks",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("marker", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("channel", "ts", "marker", name=op.f("pk_note_marks")),
    )


def downgrade() -> None:
    op.drop_table("note_marks")
