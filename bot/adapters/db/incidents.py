"""Incidents: the row that names an incident and mirrors what its timeline last said."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from bot.adapters.db import seals
from bot.adapters.db.tables import DeadlineRow, EventRow, IncidentRow, IncidentServiceRow
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


def _mirror(row: IncidentRow, incident: Incident, at: datetime, head: str) -> None:
    """Write what ``incident`` says into its row, with ``head``, its newest entry's hash."""
    row.title = incident.title
    row.severity = str(incident.severity)
    row.state = str(incident.state)
    row.started_at = incident.started_at
    row.commander = incident.commander
    row.services = ",".join(incident.services)
    row.updated_at = at
    row.audit_head = head


class Incidents:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.timeline = Timeline(session)
        # (incident id, event) appended in this unit of work, told in the log once committed
        self.appended: list[tuple[int, Event]] = []
        # The rows this session's transaction locked (or inserted), with the transaction: a
        # second lock of one in the same transaction needs no query (nor the autoflush of what
        # is pending, which split a stage's one UPDATE into one per attribute written). Held
        # here, not only in the session's identity map, which lets go of a clean row.
        self._locked: dict[int, tuple[SessionTransaction, IncidentRow]] = {}

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
        _mirror(row, incident, declaration.at, head="")
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as clash:
            raise Conflict(f"request {request_key} was declared already") from clash
        self._hold(row)  # inserted in this transaction: no one else sees it before commit
        self._name(row.id, incident.services, named=())
        return _to_domain(row, [declaration])

    def declare(
        self, declaration: Event, description: str = "", request_key: str | None = None
    ) -> StoredIncident:
        """``add`` and ``append`` the declaration: a new incident with nothing planned."""
        stored = self.add(declaration, description, request_key)
        self.append(stored.id, declaration, stored.incident)
        return stored

    def get(self, incident_id: int, *, lock: bool = False) -> StoredIncident:
        """The incident; ``lock`` holds its row until commit so its appends are serialised
        (and reads it afresh when it takes the lock: the head of its audit chain is the one
        the lock holds; once held, the row is as this transaction left it, ``_row``)."""
        if lock:
            return self._load(self._row(incident_id, lock=True))
        row = self.session.scalar(select(IncidentRow).where(IncidentRow.id == incident_id))
        if row is None:
            raise IncidentNotFound(incident_id)
        return self._load(row)

    def many(self, incident_ids: Collection[int]) -> list[StoredIncident]:
        ids = sorted(set(incident_ids))
        if not ids:
            return []
        rows = select(IncidentRow).where(IncidentRow.id.in_(ids)).order_by(IncidentRow.id)
        return self._with_timelines(rows, ids)

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
        naming any of ``services`` (exactly, case and all), in at most three statements however
        many are open; by service, an indexed lookup that costs what it finds."""
        opened = IncidentRow.state.in_([str(state) for state in lifecycle.OPEN_STATES])
        if services is None and first is None:  # every one: no list of ids to pass around
            chosen = select(IncidentRow.id).where(opened)
            return self._with_timelines(
                select(IncidentRow).where(opened).order_by(IncidentRow.id), chosen
            )
        if services is not None and not services:
            return []
        ids = select(IncidentRow.id).where(opened).order_by(IncidentRow.id)
        if services is not None:
            named = IncidentServiceRow.incident_id
            ids = (
                select(named)
                .distinct()
                .join(IncidentRow, IncidentRow.id == named)
                .where(IncidentServiceRow.service.in_(sorted(services)), opened)
                .order_by(named)
            )
        found = list(self.session.scalars(ids.limit(first)))
        if not found:
            return []
        rows = select(IncidentRow).where(IncidentRow.id.in_(found)).order_by(IncidentRow.id)
        return self._with_timelines(rows, found)

    def _with_timelines(
        self, rows: Select[IncidentRow], ids: Select[int] | list[int]
    ) -> list[StoredIncident]:
        """The incidents ``rows`` reads, each with its timeline (of the incidents ``ids`` names,
        the same ones): two statements."""
        read = list(self.session.scalars(rows))
        timelines = self.timeline.events_of(ids)
        return [_to_domain(row, timelines.get(row.id, [])) for row in read]

    def count_open(self) -> int:
        """How many incidents are open: one count over the state index."""
        states = [str(state) for state in lifecycle.OPEN_STATES]
        counted = self.session.scalar(
            select(func.count()).select_from(IncidentRow).where(IncidentRow.state.in_(states))
        )
        return int(counted or 0)

    def resync_services(self) -> int:
        """Write the ``incident_services`` rows of every open incident that its services
        column names and its rows miss (or delete those it no longer names): what a bot one
        migration behind left undone. Two statements to read, however many are open; returns
        how many incidents it fixed."""
        states = [str(state) for state in lifecycle.OPEN_STATES]
        opened = select(IncidentRow.id).where(IncidentRow.state.in_(states))
        held: dict[int, set[str]] = {}
        for incident_id, service in self.session.execute(
            select(IncidentServiceRow.incident_id, IncidentServiceRow.service).where(
                IncidentServiceRow.incident_id.in_(opened)
            )
        ):
            held.setdefault(incident_id, set()).add(service)
        fixed = 0
        for incident_id, listed in self.session.execute(
            select(IncidentRow.id, IncidentRow.services).where(IncidentRow.state.in_(states))
        ):
            named = {name for name in (listed or "").split(",") if name}
            if named != held.get(incident_id, set()):
                self._name(incident_id, named, held.get(incident_id, set()))
                fixed += 1
        self.session.flush()
        return fixed

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

        The caller holds the incident's row lock (``get(lock=True)``, or ``add`` in the same
        transaction): the entry is chained to the row's ``audit_head``, which it moves.
        """
        row = self._row(incident_id)
        head = self.timeline.append(incident_id, event, row.audit_head, once)
        self.appended.append((incident_id, event))
        listed = row.services
        _mirror(row, after, event.at, head)
        if row.services != listed:
            self._name(incident_id, after.services)

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

    # The attach_* writes lock the row: with AUDIT_KEY the row's seal is computed from what
    # this session read, so it must be what the row holds (an append may move its audit_head).
    def attach_channel(self, incident_id: int, channel_id: str, channel_name: str) -> None:
        row = self._row(incident_id, lock=True)
        row.channel_id, row.channel_name = channel_id, channel_name

    def attach_card(self, incident_id: int, card_ts: str) -> None:
        self._row(incident_id, lock=True).card_ts = card_ts

    def attach_announcement(self, incident_id: int, ts: str) -> None:
        self._row(incident_id, lock=True).announcement_ts = ts

    def announcement_ts(self, incident_id: int) -> str | None:
        query = select(IncidentRow.announcement_ts).where(IncidentRow.id == incident_id)
        return self.session.scalar(query)

    def set_up(self, incident_id: int, *steps: str) -> None:
        """Note the set-up ``steps`` of the incident's room done."""
        row = self._row(incident_id, lock=True)
        done = {s for s in (row.setup_done or "").split(",") if s}
        row.setup_done = ",".join(sorted(done.union(steps)))

    def _name(
        self, incident_id: int, services: Collection[str], named: Collection[str] | None = None
    ) -> None:
        """Keep ``incident_services`` in step: insert and delete only what differs from the
        names it holds (``named``, or read from it: a bot one migration behind does not
        write it)."""
        if named is None:
            held = IncidentServiceRow.service
            named = self.session.scalars(
                select(held).where(IncidentServiceRow.incident_id == incident_id)
            ).all()
        wanted = set(services)
        gone = set(named) - wanted
        if gone:
            self.session.execute(
                delete(IncidentServiceRow).where(
                    IncidentServiceRow.incident_id == incident_id,
                    IncidentServiceRow.service.in_(sorted(gone)),
                )
            )
        added = sorted(wanted - set(named))
        seals.insert(
            self.session, [IncidentServiceRow(incident_id=incident_id, service=s) for s in added]
        )

    def _row(self, incident_id: int, lock: bool = False) -> IncidentRow:
        """The incident's row; ``lock`` holds it until commit, read afresh, unless this
        transaction holds it already (then it is the one in the session, as this transaction
        left it: every write to ``incidents`` goes through this object, none as plain SQL).
        Raises IncidentNotFound."""
        if (held := self._held(incident_id)) is not None:
            return held
        if lock:
            row = self.session.get(
                IncidentRow, incident_id, with_for_update=True, populate_existing=True
            )
        else:
            row = self.session.get(IncidentRow, incident_id)
        if row is None:
            raise IncidentNotFound(incident_id)
        if lock:
            self._hold(row)
        return row

    def _innermost(self) -> SessionTransaction | None:
        return self.session.get_nested_transaction() or self.session.get_transaction()

    def _hold(self, row: IncidentRow) -> None:
        # The innermost transaction: a savepoint's rollback releases the locks taken in it
        if (transaction := self._innermost()) is not None:
            self._locked[row.id] = (transaction, row)

    def _held(self, incident_id: int) -> IncidentRow | None:
        """The row if the current transaction (or one it is inside) locked or inserted it, both
        are still active (a failed write leaves them to be rolled back), and the row is still
        in the session and not about to be deleted."""
        transaction, row = self._locked.get(incident_id, (None, None))
        if transaction is None or row is None or not transaction.is_active:
            return None
        if row not in self.session or row in self.session.deleted:
            return None
        current = self._innermost()
        if current is None or not current.is_active:
            return None
        while current is not None:
            if current is transaction:
                return row
            current = current.parent
        return None
