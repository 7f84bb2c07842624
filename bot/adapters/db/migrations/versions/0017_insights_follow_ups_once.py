"""insights_deadlines: a follow-up counted once, and each deadline with its incident's declaration

A follow-up whose due date moved has a deadline per due date; ``bot.core.insights`` counts the
follow-up once (missed if any due date passed while it was open, else as its last due date
stands), and now the view does too: each follow-up deadline is tied to its follow-up (the
number its opening event names, or the order of its ``follow_up_added``), and only the last
of them is a row, missed if any before it was. ``declared_at`` is the incident's declaration,
the time the report and the dashboard filter on (not the due time).

On SQLite nothing is created (see 0016). Expand-only: a view replaced, columns appended.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True

DEADLINES = """
CREATE OR REPLACE VIEW insights_deadlines AS
WITH planned AS (
  SELECT
    d.incident_id,
    d.kind,
    d.severity,
    d.opened_at,
    d.due_at,
    d.met_at,
    CASE WHEN d.status = 'pending' AND d.due_at < now() THEN 'missed' ELSE d.status END
      AS status,
    CASE
      WHEN d.kind <> 'follow_up' THEN NULL
      WHEN e.kind = 'follow_up_added' THEN (
        SELECT count(*) FROM events a
        WHERE a.incident_id = d.incident_id AND a.kind = 'follow_up_added' AND a.seq <= e.seq
      )::text
      ELSE e.extra ->> 'follow_up'
    END AS follow_up
  FROM deadlines d
  LEFT JOIN events e
    ON d.kind = 'follow_up' AND e.incident_id = d.incident_id
    AND e.seq::text = split_part(d.key, '@', 2)
),
ranked AS (
  SELECT
    p.*,
    row_number() OVER (
      PARTITION BY p.incident_id, p.follow_up ORDER BY p.opened_at DESC, p.due_at DESC
    ) AS newest,
    bool_or(p.status = 'missed') OVER (PARTITION BY p.incident_id, p.follow_up) AS ever_missed
  FROM planned p
),
counted AS (
  SELECT
    r.incident_id,
    r.kind,
    r.severity,
    r.opened_at,
    r.due_at,
    r.met_at,
    CASE WHEN r.follow_up IS NOT NULL AND r.ever_missed THEN 'missed' ELSE r.status END
      AS status
  FROM ranked r
  WHERE r.follow_up IS NULL OR r.newest = 1
)
SELECT c.incident_id, c.kind, c.severity, c.opened_at, c.due_at, c.met_at, c.status,
  i.declared_at
FROM counted c JOIN incidents i ON i.id = c.incident_id
WHERE c.status <> 'cancelled'
"""

PREVIOUS = """
CREATE VIEW insights_deadlines AS
SELECT
  d.incident_id,
  d.kind,
  d.severity,
  d.opened_at,
  d.due_at,
  d.met_at,
  CASE WHEN d.status = 'pending' AND d.due_at < now() THEN 'missed' ELSE d.status END
    AS status
FROM deadlines d
WHERE d.status <> 'cancelled'
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DEADLINES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP VIEW IF EXISTS insights_deadlines")
    op.execute(PREVIOUS)
