"""post-mortem drafts kept in the database, with the rest of the incident; rows sealed

Expand-only: nullable columns, so a bot one migration behind still runs on it (it keeps
writing ``draft_path``, which this revision leaves in place). It does not seal: a row it adds
has no seal, and a row it changes keeps a seal that no longer matches, so after the rollout
``incident-bot audit verify`` names those rows and ``incident-bot audit seal --reseal`` reseals
them, on purpose and recorded (README, "Upgrading"). Bots before this revision cannot read the
expand-only mark: during the rollout onto it their readiness fails, and rolling back below it
needs ``incident-bot db downgrade 0013`` first (docs/runbooks/bot-down.md).
``mac``: each row's HMAC under AUDIT_KEY (bot/adapters/db/seals.py).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True


SEALED = ("events", "incidents", "status_updates", "deadlines")


def upgrade() -> None:
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.Text(), nullable=True))
    for table in SEALED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in reversed(SEALED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("mac")
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.drop_column("draft")
