"""room set-up: the steps of an incident's room done so far

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

EVERY_STEP = "announce,file ticket,first actions,invite,pin,topic"


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("setup_done", sa.String(length=300), nullable=False, server_default="")
        )
    # Incidents declared before this revision were set up as far as they ever will be.
    op.execute(sa.text("UPDATE incidents SET setup_done = :done").bindparams(done=EVERY_STEP))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("setup_done")
