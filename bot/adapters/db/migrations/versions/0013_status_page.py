"""status page: each incident's incident on the public status page, and who is sending to it

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.adapters.db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    moment = bot.adapters.db.types.UTCDateTime(timezone=True)
    op.create_table(
        "status_page_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("page_incident_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("busy_key", sa.String(length=120), nullable=True),
        sa.Column("busy_by", sa.String(length=64), nullable=True),
        sa.Column("busy_since", moment, nullable=True),
        sa.Column("updated_at", moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_status_page_incidents_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_incidents")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_status_page_incidents_incident_id")),
    )


def downgrade() -> None:
    op.drop_table("status_page_incidents")
