"""insights views for Grafana (PostgreSQL only): one row per incident, one per deadline

``insights_incidents``: each incident with the seconds from its declaration to its first
acknowledgement, its response deadline met, its first status update told to every
stakeholder channel, its first mitigation and its last resolution (NULL while not reached;
the resolution only once it is resolved or closed), as ``bot.core.insights`` defines them.
``insights_deadlines``: each deadline not replaced before it fell due, its status as last
planned (a pending one past its due time reads missed). ``deploy/grafana/`` queries them.

On SQLite nothing is created: Grafana reads PostgreSQL. Expand-only: views, no table changes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 02:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True

INCIDENTS = """
CREATE VIEW insights_incidents AS
SELECT
  i.id,
  i.title,
  i.severity,
  i.state,
  i.declared_at,
  i.services,
  EXTRACT(EPOCH FROM (
    SELECT min(e.at) FROM events e WHERE e.incident_id = i.id AND e.kind = 'acknowledged'
  ) - i.declared_at) AS seconds_to_acknowledge,
  EXTRACT(EPOCH FROM (
    SELECT min(d.met_at) FROM deadlines d
    WHERE d.incident_id = i.id AND d.kind IN ('assemble', 'respond')
  ) - i.declared_at) AS seconds_to_assemble,
  EXTRACT(EPOCH FROM LEAST(
    (SELECT min(t.at) FROM events t JOIN events u
       ON u.incident_id = t.incident_id AND (t.extra ->> 'update') = u.seq::text
     WHERE t.incident_id = i.id AND t.kind = 'stakeholders_told'
       AND u.kind = 'status_update_posted'),
    (SELECT min(u.at) FROM events u
     WHERE u.incident_id = i.id AND u.kind = 'status_update_posted'
       AND (u.extra ->> 'awaits_telling') IS NULL)
  ) - i.declared_at) AS seconds_to_first_update,
  EXTRACT(EPOCH FROM (
    SELECT min(e.at) FROM events e WHERE e.incident_id = i.id AND e.kind = 'mitigated'
  ) - i.declared_at) AS seconds_to_mitigate,
  CASE WHEN i.state IN ('resolved', 'closed') THEN EXTRACT(EPOCH FROM (
    SELECT max(e.at) FROM events e WHERE e.incident_id = i.id AND e.kind = 'resolved'
  ) - i.declared_at) END AS seconds_to_resolve
FROM incidents i
"""

DEADLINES = """
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
    op.execute(INCIDENTS)
    op.execute(DEADLINES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP VIEW IF EXISTS insights_deadlines")
    op.execute("DROP VIEW IF EXISTS insights_incidents")
