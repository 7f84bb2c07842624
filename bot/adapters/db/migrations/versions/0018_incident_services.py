"""incident_services: each service an incident names, a row, looked up by service

An alert or a deploy of one service asks for the open incidents naming it. The comma-joined
``incidents.services`` could only be scanned (a LIKE over every open incident); now each name is
also a row here, indexed by (service, incident_id), so the lookup costs what it finds. The bot
keeps the rows in step with ``incidents.services``, which stays as it is (reports, the Grafana
views and the audit read it); the upgrade fills them from that column.

Expand-only: a table added. A bot one migration behind runs on it, but does not write it: an
incident it declares, or whose services it changes, is not found here by service (an alert or a
deploy of that service does not reach it) until a newer bot changes its services again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None
# Read by readiness: a bot whose newest migration is the one before this may run on it.
expand_only = True

INCIDENTS = sa.table("incidents", sa.column("id", sa.Integer()), sa.column("services", sa.String()))


def upgrade() -> None:
    named = op.create_table(
        "incident_services",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_services_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "service", name=op.f("pk_incident_services")),
    )
    op.create_index(
        "ix_incident_services_service_incident_id",
        "incident_services",
        ["service", "incident_id"],
    )
    listed = op.get_bind().execute(sa.select(INCIDENTS.c.id, INCIDENTS.c.services))
    rows = [
        {"incident_id": incident_id, "service": name}
        for incident_id, services in listed
        for name in dict.fromkeys((services or "").split(","))
        if name
    ]
    if rows:
        op.bulk_insert(named, rows)


def downgrade() -> None:
    op.drop_index("ix_incident_services_service_incident_id", table_name="incident_services")
    op.drop_table("incident_services")
