"""audit chain per incident: each incident's entries chain to its own previous entry

Every append used to take one row lock shared by every incident (bot_state ``audit_head``, the
head of one chain across all incidents), so appends to different incidents waited for each
other. From this migration on, an entry's ``prev_hash`` is the hash of its incident's previous
entry and the incident's newest hash is ``incidents.audit_head``, moved by the append under the
incident's row lock (bot/adapters/db/audit.py). The upgrade adds the column, fills it with each
incident's newest hash, and records in bot_state ``audit_per_incident`` the first entry id
chained per incident (the newest id + 1); the entries before it stay checked as the chain across
incidents, whose head ``audit_head`` is frozen from then on.

Not expand-only: a bot one migration behind would chain its entries across incidents without
moving the incident's head (verify would name each as a break, for good: ``audit seal`` refuses
while a chain is broken). So the upgrade also renames ``events.prev_hash`` to ``previous_hash``
(the model's attribute, and what an entry's seal and ``audit export`` call it, stay
``prev_hash``): a bot before 0019 can neither read nor append a timeline on it. During the
rollout the old pods go unready and fail what they still try (a timer they fire is taken over by
a new pod when its lease runs out) instead of writing entries the trail cannot hold.

Down and up again stays verifiable, with nothing rewritten: the downgrade closes the range of
ids chained per incident (the newest id + 1) and keeps it in bot_state; code before 0019 chains
its entries across incidents again, to the frozen head (the chain across incidents skips the
ranges chained per incident), and the next upgrade opens a new range after them. Each entry is
checked by the rule of the range it is in. Code before 0019 cannot read the per-incident
entries: its ``audit verify`` names each as a break; verify with this code (upgrade again).

The column is part of every incident row's seal. Given AUDIT_KEY (start-up and ``incident-bot
db upgrade``/``downgrade`` pass it), the migration reseals each incident row whose seal matched
its content before the change (a row whose seal did not match is left so: verify names it).
Without the key, the incident rows' seals go stale: run ``incident-bot audit verify``, then
``incident-bot audit seal --reseal`` (recorded), which refuses while any chain is broken or an
incident row disagrees with its timeline.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

import bot.adapters.db.types
from bot.adapters.db import audit, migrate, seals

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_AT = bot.adapters.db.types.UTCDateTime
# Every column of incidents at this revision (what a seal covers), not the model's: a later
# migration may add to the model.
INCIDENTS = sa.table(
    "incidents",
    sa.column("id", sa.Integer),
    *(
        sa.column(name, sa.String)
        for name in (
            "title",
            "description",
            "severity",
            "state",
            "declared_by",
            "commander",
            "services",
            "channel_id",
            "channel_name",
            "card_ts",
            "announcement_ts",
            "request_key",
            "setup_done",
            "audit_head",
            "mac",
        )
    ),
    *(sa.column(name, _AT()) for name in ("declared_at", "started_at", "updated_at")),
)
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("incident_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("hash", sa.String),
)
STATE = sa.table(
    "bot_state",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("updated_at", bot.adapters.db.types.UTCDateTime()),
)


def upgrade() -> None:
    # First: on PostgreSQL these wait for the appends under way (they lock incident rows and
    # insert entries), and hold later ones until the commit, so the newest id read next is final.
    op.execute(_RENAME.format(old="prev_hash", new="previous_hash"))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audit_head", sa.String(length=64), nullable=False, server_default="")
        )
    connection = op.get_bind()
    newest = (
        sa.select(EVENTS.c.hash)
        .where(EVENTS.c.incident_id == INCIDENTS.c.id)
        .order_by(EVENTS.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    connection.execute(INCIDENTS.update().values(audit_head=sa.func.coalesce(newest, "")))
    _reseal(headed=True)
    _keep_eras(_reopened(_eras(), _next_id()))


def downgrade() -> None:
    op.execute(_RENAME.format(old="previous_hash", new="prev_hash"))
    _reseal(headed=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("audit_head")
    until = _next_id()
    _keep_eras([[first, until if end is None else end] for first, end in _eras()])


def _reseal(headed: bool) -> None:
    """With AUDIT_KEY: seal each incident row as it will be (``headed``: with its chain's head)
    if its seal matched it as it was (the other way round); a row whose seal did not is left."""
    key = context.config.attributes.get(migrate.AUDIT_KEY)
    if not key:
        return
    connection = op.get_bind()
    table = "incidents"
    rows = connection.execute(sa.select(INCIDENTS)).mappings().all()
    for row in rows:
        full = {k: seals.plain(v) for k, v in row.items() if k not in ("mac", "id")}
        bare = {k: v for k, v in full.items() if k != "audit_head"}
        was, becomes = (bare, full) if headed else (full, bare)
        if row["mac"] and hmac.compare_digest(row["mac"], seals.mac_of(key, table, was)):
            connection.execute(
                INCIDENTS.update()
                .where(INCIDENTS.c.id == row["id"])
                .values(mac=seals.mac_of(key, table, becomes))
            )


# The same statement on SQLite (3.25 and later, in place: no batch copy of the timeline) and
# PostgreSQL.
_RENAME = "ALTER TABLE events RENAME COLUMN {old} TO {new}"


def _next_id() -> int:
    return int(op.get_bind().scalar(sa.select(sa.func.max(EVENTS.c.id))) or 0) + 1


def _eras() -> list[list[int | None]]:
    """As recorded; not recorded: every id per incident (audit.eras), as on a database created
    at 0019 (an upgrade from 0018 keeps only the ranges a downgrade closed)."""
    value = op.get_bind().scalar(sa.select(STATE.c.value).where(STATE.c.key == audit.ERAS))
    return list(json.loads(value)) if value else [[1, None]]


def _reopened(eras: list[list[int | None]], next_id: int) -> list[list[int | None]]:
    """The ranges closed (a range ``[first, end)`` with an end), with one open from
    ``next_id``: the last one reopened if nothing was appended since a downgrade closed it,
    so downgrading and upgrading again does not add a range each time (nor empty ones)."""
    closed: list[list[int | None]] = [
        [a, end] for a, end in eras if a is not None and end is not None and a < end
    ]
    if closed and closed[-1][1] == next_id:
        return [*closed[:-1], [closed[-1][0], None]]
    return [*closed, [next_id, None]]


def _keep_eras(eras: list[list[int | None]]) -> None:
    connection = op.get_bind()
    connection.execute(STATE.delete().where(STATE.c.key == audit.ERAS))
    connection.execute(
        STATE.insert().values(key=audit.ERAS, value=json.dumps(eras), updated_at=datetime.now(UTC))
    )
