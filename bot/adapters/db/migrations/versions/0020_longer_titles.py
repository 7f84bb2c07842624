"""incidents.title holds 2,000 characters (was 500)

A title is kept in Slack's markup, where ``&`` is ``&amp;`` and a mention is ``<@U…|name>``:
200 characters as typed (the declaration form's own limit) can be 1,000 and more stored, so
titles within the form's limit were shortened in the record. 2,000 holds any title of 200 typed
characters but one made mostly of mentions (that one is still shortened, and said so).

On PostgreSQL the insights view that selects the column is set aside and made again as it was
(its definition read from the database); on SQLite the declared length is not enforced and
nothing changes. Expand-only: a bot one migration behind writes titles of 500 at most, which
fit. Down again, a title longer than 500 is cut to 500 (its incident's row then disagrees with
its timeline, which ``audit verify`` reports: a title the older bot cannot hold).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True

VIEW = "insights_incidents"


def upgrade() -> None:
    _retype(sa.String(length=2000), "title")


def downgrade() -> None:
    _retype(sa.String(length=500), "left(title, 500)")


def _retype(kind: sa.String, using: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    definition = connection.scalar(
        sa.text("SELECT pg_get_viewdef(to_regclass(:view))"), {"view": VIEW}
    )
    if definition is not None:
        op.execute(f"DROP VIEW {VIEW}")
    op.alter_column(
        "incidents",
        "title",
        type_=kind,
        existing_nullable=False,
        postgresql_using=using,
    )
    if definition is not None:
        op.execute(f"CREATE VIEW {VIEW} AS {definition}")
