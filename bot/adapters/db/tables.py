"""The database tables, as SQLAlchemy 2 typed ORM classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.adapters.db.types import UTCDateTime

# Named constraints let Alembic's SQLite batch mode drop and recreate them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class IncidentRow(Base):
    """The incident as its timeline last left it, kept for queries; the timeline is the truth."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), index=True)
    declared_at: Mapped[datetime]
    declared_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    commander: Mapped[str | None] = mapped_column(String(64))
    services: Mapped[str] = mapped_column(String(1000), default="")
    channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel_name: Mapped[str | None] = mapped_column(String(80))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    announcement_ts: Mapped[str | None] = mapped_column(String(32))
    """The incident's one message in the announcement channel, kept current in place."""
    request_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    setup_done: Mapped[str] = mapped_column(String(300), default="")
    """The room's set-up steps done so far, comma-separated (channel, invite, card, ...)."""
    updated_at: Mapped[datetime]
    audit_head: Mapped[str] = mapped_column(String(64), default="", server_default="")
    """The hash of the incident's newest timeline entry ("" before its first): the head of its
    audit chain (bot/adapters/db/audit.py), moved with the row's lock held, and sealed with it."""
    mac: Mapped[str | None] = mapped_column(String(64))  # the row's seal (bot/adapters/db/seals.py)


class IncidentServiceRow(Base):
    """One service an incident names, as ``IncidentRow.services`` lists it (kept in step with
    it): the open incidents of a service are an indexed lookup, not a scan of every one."""

    __tablename__ = "incident_services"
    __table_args__ = (Index("ix_incident_services_service_incident_id", "service", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    service: Mapped[str] = mapped_column(String(1000), primary_key=True)
    """As named, case and all; as long as ``IncidentRow.services`` allows (the catalog sets no
    limit on a name)."""


class EventRow(Base):
    """One timeline entry; rows are only ever inserted."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(64))
    next_update_seconds: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Named previous_hash in the database since 0019 (the chain runs per incident): a bot
    # before it, which would chain across incidents, cannot read or append a timeline there.
    prev_hash: Mapped[str | None] = mapped_column("previous_hash", String(64), key="prev_hash")
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    once_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    """Set for an entry that may happen once only (a note per pinned message, a decision per
    deploy, a confirmation's effect): the database refuses a second entry with the same key."""
    mac: Mapped[str | None] = mapped_column(String(64))  # the row's seal (bot/adapters/db/seals.py)


class DeployRow(Base):
    __tablename__ = "deploys"
    __table_args__ = (Index("ix_deploys_service_finished_at", "service", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(100))
    deployer: Mapped[str | None] = mapped_column(String(200))
    commit: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(40))
    delivery_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class StatusUpdateRow(Base):
    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    posted_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(64))
    impact: Mapped[str] = mapped_column(Text)
    affected: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(Text)
    next_update_seconds: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    mac: Mapped[str | None] = mapped_column(String(64))  # the row's seal (bot/adapters/db/seals.py)


class DeadlineRow(Base):
    """A deadline as the core last computed it, plus when its timers fired."""

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    met_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    mac: Mapped[str | None] = mapped_column(String(64))  # the row's seal (bot/adapters/db/seals.py)


class PostmortemRow(Base):
    """An incident's post-mortem: its latest draft (Markdown) and where it was published."""

    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    # Where bots before migration 0014 wrote the draft on their own disk; no longer written.
    draft_path: Mapped[str | None] = mapped_column(String(1000))
    draft: Mapped[str | None] = mapped_column(Text)
    drafted_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(String(1000))
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(64))


class TicketRow(Base):
    """A ticket filed for an incident (Sev3 by default) in whatever tracker the sink speaks to."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    system: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    filed_at: Mapped[datetime]


class TimerRow(Base):
    """A moment something must happen: claimed by one replica, fired once."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("incident_id", "key"),
        Index("ix_timers_status_fire_at", "status", "fire_at"),
        Index(
            "uq_timers_bot_wide_key",
            "key",
            unique=True,
            sqlite_where=text("incident_id IS NULL"),
            postgresql_where=text("incident_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    """None for a bot-wide timer (the weekly digest), whose key is unique among them."""
    key: Mapped[str] = mapped_column(String(120))
    deadline_key: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(String(20))
    fire_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    posted: Mapped[str | None] = mapped_column(String(100))
    fired_at: Mapped[datetime | None]


class StateRow(Base):
    """Small facts the bot keeps about itself (e.g. which playbooks its timers were planned by)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class AlertRow(Base):
    """An Alertmanager alert as last reported (one row per alert and start time)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("fingerprint", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(100), index=True)
    summary: Mapped[str] = mapped_column(Text)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ends_at: Mapped[datetime | None]
    url: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


class DeliveryRow(Base):
    """A request from Slack whose work has started (by event id or trigger id): a retry or a
    duplicate delivery finds it here, on whichever replica it lands."""

    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class NoteMarkRow(Base):
    """What keeps a channel message noted: its pin, or one person's :pushpin:. The note is
    withdrawn when the last is removed."""

    __tablename__ = "note_marks"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    marker: Mapped[str] = mapped_column(String(100), primary_key=True)


class StatusPageRow(Base):
    """An incident's incident on the public status page (Statuspage), and the claim of whoever
    is sending to it now, so two presses send once."""

    __tablename__ = "status_page_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    page_incident_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(500))
    busy_key: Mapped[str | None] = mapped_column(String(120))
    busy_by: Mapped[str | None] = mapped_column(String(64))
    busy_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]
