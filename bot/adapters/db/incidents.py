"""Incidents: the row that names an incident and mirrors what its timeline last said."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.db.tables import DeadlineRow, EventRow, IncidentRow
from bot.adapters.db.timeline import Timeline
from bot.core import lifecycle, model
from bot.core.model import Event, Incident
from bot.services.ports import Conflict
from bot.services.records import IncidentNotFound, StoredIncident

__all__ = ["IncidentNotFound", "Incidents", "StoredIncident"]


def _to_domain(row: IncidentRow, events: list[Event]) -> StoredIncident:
    return StoredIncident(
        id=row.id,
        incident=model.replay(events),
        events=tuple(events),
        description=row.description,
        channel_id=row.channel_id,
        channel_name=row.channel_name,
        card_ts=row.card_ts,
        announcement_ts=row.announcement_ts,
        setup=frozenset(step for step in (row.setup_done or "").split(",") if step),
    )


def _mirror(row: IncidentRow, incident: Incident, at: datetime) -> None:
    row.title = incident.title
    row.severity = str(incident.severity)
    row.state = str(incident.state)
    row.started_at = incident.started_at
    row.commander = incident.commander
    row.services = ",".join(incident.services)
    row.updated_at = at


class Incidents:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.timeline = Timeline(session)

    def add(
        self, declaration: Event, description: str = "", request_key: str | None = None
    ) -> StoredIncident:
        """A new incident's row; its declaration is appended to the timeline by ``append``.

        Raises Conflict when another transaction declared with the same ``request_key``.
        """
        incident = model.replay([declaration])
        row = IncidentRow(
            setup_done="",
            declared_at=incident.declared_at,
            declared_by=incident.declared_by,
            description=description,
            request_key=request_key,
        )
        _mirror(row, incident, declaration.at)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as clash:
            raise Conflict(f"request {request_key} was declared already") from clash
        return _to_domain(row, [declaration])

    def declare(
        self, declaration: Event, description: str = "", request_key: str | None = None
    ) -> StoredIncident:
        """``add`` and ``append`` the declaration: a new incident with nothing planned."""
        stored = self.add(declaration, description, request_key)
        self.append(stored.id, declaration, stored.incident)
        return stored

    def get(self, incident_id: int, *, lock: bool = False) -> StoredIncident:
        """The incident; ``lock`` holds its row until commit so appends are serialised."""
        query = select(IncidentRow).where(IncidentRow.id == incident_id)
        row = self.session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise IncidentNotFound(incident_id)
        return self._load(row)

    def by_channel(self, channel_id: str) -> StoredIncident | None:
        row = self.session.scalar(select(IncidentRow).where(IncidentRow.channel_id == channel_id))
        return self._load(row) if row else None

    def by_request_key(self, request_key: str) -> StoredIncident | None:
        row = self.session.scalar(select(IncidentRow).where(IncidentRow.request_key == request_key))
        return self._load(row) if row else None

    def open(
        self, services: Collection[str] | None = None, first: int | None = None
    ) -> list[StoredIncident]:
        """Every open incident with its timeline (the ``first`` by id, if given), or those
        affecting any of ``services``, in two statements however many are open."""
        opened: ColumnElement[bool] = IncidentRow.state.in_(
            [str(state) for state in lifecycle.OPEN_STATES]
        )
        if services is not None:
            listed = literal(",") + IncidentRow.services + literal(",")  # ",checkout,search,"
            named = [listed.like(f"%,{_like(name)},%", escape="\\") for name in services]
            opened = and_(opened, or_(false(), *named))
        chosen = select(IncidentRow.id).where(opened).order_by(IncidentRow.id).limit(first)
        rows = list(
            self.session.scalars(
                select(IncidentRow).where(IncidentRow.id.in_(chosen)).order_by(IncidentRow.id)
            )
        )
        timelines = self.timeline.events_of(chosen)
        return [_to_domain(row, timelines.get(row.id, [])) for row in rows]

    def open_counts(self) -> dict[str, int]:
        states = [str(state) for state in lifecycle.OPEN_STATES]
        rows = self.session.execute(
            select(IncidentRow.severity, func.count())
            .where(IncidentRow.state.in_(states))
            .group_by(IncidentRow.severity)
        )
        return {severity: int(count) for severity, count in rows}

    def active_ids(self) -> list[int]:
        """Incidents whose clocks may still run: open ones, and any with a pending deadline."""
        states = [str(state) for state in lifecycle.OPEN_STATES]
        pending = select(DeadlineRow.incident_id).where(DeadlineRow.status == "pending")
        rows = self.session.scalars(
            select(IncidentRow.id)
            .where(or_(IncidentRow.state.in_(states), IncidentRow.id.in_(pending)))
            .order_by(IncidentRow.id)
        )
        return list(rows)

    def append(
        self, incident_id: int, event: Event, after: Incident, once: str | None = None
    ) -> None:
        """Append ``event`` (its ``seq`` the next one) and mirror ``after`` into the row;
        Conflict when another entry holds the ``once`` key.

        Appending takes the audit chain's lock, shared by every incident: do it last.
        """
        row = self._row(incident_id)
        self.timeline.append(incident_id, event, once)
        _mirror(row, after, event.at)

    def record(self, incident_id: int, event: Event) -> tuple[Event, Incident]:
        """Append ``event`` as the next in the timeline (its ``seq`` replaced); raises
        IllegalTransition, writing nothing, when the lifecycle forbids it."""
        before = self.get(incident_id, lock=True)
        event = replace(event, seq=len(before.events) + 1)
        after = before.with_event(event)
        self.append(incident_id, event, after.incident)
        return event, after.incident

    def _load(self, row: IncidentRow) -> StoredIncident:
        return _to_domain(row, self.timeline.events(row.id))

    def rooms(self) -> list[tuple[str, str | None, str | None]]:
        rows = self.session.execute(
            select(IncidentRow.channel_id, IncidentRow.channel_name, IncidentRow.card_ts)
            .where(IncidentRow.channel_id.is_not(None))
            .order_by(IncidentRow.id)
        )
        return [(str(channel), name, card) for channel, name, card in rows]

    def announcements(self) -> list[str]:
        """The ts of every incident's message in the announcement channel."""
        rows = self.session.scalars(
            select(IncidentRow.announcement_ts)
            .where(IncidentRow.announcement_ts.is_not(None))
            .order_by(IncidentRow.id)
        )
        return [str(ts) for ts in rows]

    def latest_event_at(self) -> datetime | None:
        return self.session.scalar(select(func.max(EventRow.at)))

    def attach_channel(self, incident_id: int, channel_id: str, channel_name: str) -> None:
        row = self._row(incident_id)
        row.channel_id, row.channel_name = channel_id, channel_name

    def attach_card(self, incident_id: int, card_ts: str) -> None:
        self._row(incident_id).card_ts = card_ts

    def attach_announcement(self, incident_id: int, ts: str) -> None:
        self._row(incident_id).announcement_ts = ts

    def set_up(self, incident_id: int, *steps: str) -> None:
        """Note the set-up ``steps`` of the incident's room done."""
        row = self.session.get(IncidentRow, incident_id, with_for_update=True)
        if row is None:
            raise IncidentNotFound(incident_id)
        done = {s for s in (row.setup_done or "").split(",") if s}
        row.setup_done = ",".join(sorted(done.union(steps)))

    def _row(self, incident_id: int) -> IncidentRow:
        row = self.session.get(IncidentRow, incident_id)
        if row is None:
            raise IncidentNotFound(incident_id)
        return row


def _like(text: str) -> str:
    """``text`` matched as itself in a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
