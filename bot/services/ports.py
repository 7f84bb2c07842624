"""The ports use cases reach the world through: storage (a unit of work and its stores).

Adapters implement them (``bot.adapters.db`` for storage); use cases import only these, so no
use case knows SQLAlchemy. Every time is timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from contextvars import ContextVar
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol

from bot.core.alerts import Alert
from bot.core.deadlines import Deadline
from bot.core.insights import Record
from bot.core.model import Event, Incident
from bot.core.policy import Policies
from bot.core.rollback import Deploy
from bot.core.status_page import PageIncident
from bot.core.timers import Purpose, TimerSpec
from bot.services.records import (
    ClaimedTimer,
    PageRecord,
    Postmortem,
    StatusUpdate,
    StoredIncident,
    Ticket,
    TimerStatus,
)

COMMITS: ContextVar[list[datetime] | None] = ContextVar("commits", default=None)
"""Set by whoever wants to know what a piece of work recorded (a Slack request's answer):
each unit of work that commits appends to it, so "nothing was recorded" is said only when
true."""


class Conflict(Exception):
    """Another transaction stored the same thing first (a repeated request key, say)."""


class StorageUnavailable(Exception):
    """The store cannot be reached or refused the work; nothing in the unit of work was kept."""


class IncidentStore(Protocol):
    def add(self, declaration: Event, description: str, request_key: str | None) -> StoredIncident:
        """A new incident's row (its timeline is appended separately, with ``append``)."""
        ...

    def get(self, incident_id: int, *, lock: bool = False) -> StoredIncident:
        """The incident (IncidentNotFound if none); ``lock`` holds it until the unit of work
        ends, so appends to one incident are serialised."""
        ...

    def by_channel(self, channel_id: str) -> StoredIncident | None: ...

    def many(self, incident_ids: Collection[int]) -> list[StoredIncident]:
        """The incidents ``incident_ids`` names that exist, each with its timeline, in a
        bounded number of statements however many are asked for."""
        ...

    def by_request_key(self, request_key: str) -> StoredIncident | None: ...

    def open(
        self, services: Collection[str] | None = None, first: int | None = None
    ) -> list[StoredIncident]:
        """Every open incident (by id; the ``first`` if given), or those naming any of
        ``services`` (exactly as named: callers filter on the names again)."""
        ...

    def open_counts(self) -> dict[str, int]:
        """How many incidents are open, by severity (those with none left out)."""
        ...

    def count_open(self) -> int:
        """How many incidents are open: cheaper than ``open_counts``."""
        ...

    def resync_services(self) -> int:
        """Write what a bot behind left out of the by-service index of open incidents;
        returns how many incidents were fixed."""
        ...

    def active_ids(self) -> list[int]: ...

    def append(
        self, incident_id: int, event: Event, after: Incident, once: str | None = None
    ) -> None:
        """Append ``event`` to the timeline (chained into the audit trail, whose lock every
        incident shares: append last) and mirror ``after`` into the incident's row.

        ``once``: a key no other entry may hold (a note per message, a decision per deploy);
        Conflict, with nothing stored, when one does: the database holds it, not a check."""
        ...

    def attach_channel(self, incident_id: int, channel_id: str, channel_name: str) -> None: ...

    def rooms(self) -> list[tuple[str, str | None, str | None]]:
        """(channel id, channel name, card ts) of every incident that has a channel."""
        ...

    def latest_event_at(self) -> datetime | None:
        """When the newest timeline entry of any incident happened."""
        ...

    def announcements(self) -> list[str]:
        """The ts of every incident's message in the announcement channel."""
        ...

    def attach_card(self, incident_id: int, card_ts: str) -> None: ...

    def attach_announcement(self, incident_id: int, ts: str) -> None:
        """Note the incident's message in the announcement channel."""
        ...

    def announcement_ts(self, incident_id: int) -> str | None:
        """The ts of the incident's message in the announcement channel, None if there is
        none yet: one column read, for a check made on every new room."""
        ...

    def set_up(self, incident_id: int, step: str) -> None:
        """Note that set-up step ``step`` of the incident's room is done."""
        ...


class NoteMarkStore(Protocol):
    def mark(self, channel: str, ts: str, marker: str) -> None:
        """Add ``marker`` (a pin, one person's :pushpin:) to what keeps a message noted."""
        ...

    def unmark(self, channel: str, ts: str, marker: str) -> int:
        """Remove ``marker``; how many marks the message still has."""
        ...


class DeliveryStore(Protocol):
    def claim(self, key: str, at: datetime) -> bool:
        """True for the first claim of a request's ``key`` on any replica, False after."""
        ...

    def forget_before(self, before: datetime) -> int:
        """Forget claims received before ``before`` (UTC); returns how many."""
        ...


class DeadlineStore(Protocol):
    def sync(
        self, incident_id: int, deadlines: Iterable[Deadline], fresh: bool = False
    ) -> list[Deadline]:
        """Store what the core computed; returns the deadlines that are new or changed status.
        ``fresh``: the incident was added in this unit of work, so it has none stored yet."""
        ...


class TimerStore(Protocol):
    def sync(self, incident_id: int, wanted: Iterable[TimerSpec], fresh: bool = False) -> None:
        """Add the wanted deadline timers that are missing, cancel pending ones no longer
        wanted; ``fresh`` as ``DeadlineStore.sync``."""
        ...

    def claim(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 100
    ) -> list[ClaimedTimer]: ...

    def finish(
        self,
        timer_id: int,
        owner: str,
        now: datetime,
        status: TimerStatus = TimerStatus.FIRED,
        posted: str | None = None,
    ) -> bool:
        """Close the timer; False if ``owner`` no longer holds it."""
        ...

    def postpone(self, timer_id: int, owner: str, fire_at: datetime) -> bool:
        """Give ``owner``'s claim up until ``fire_at`` (UTC); False if it no longer holds it."""
        ...

    def renew(self, timer_id: int, owner: str, until: datetime) -> bool:
        """Extend ``owner``'s claim to ``until`` (UTC), only while ``owner`` still holds it;
        False if another replica took the timer over or it is finished."""
        ...

    def next_fire_at(self) -> datetime | None: ...

    def due(self, now: datetime) -> int: ...

    def arm(
        self,
        incident_id: int,
        key: str,
        purpose: Purpose,
        fire_at: datetime,
        move: bool = False,
        fresh: bool = False,
    ) -> None:
        """A timer that is not a deadline's (``sync`` leaves it alone): added, or pending
        again if it fired; one still pending is left as it is, or with ``move`` set to fire
        at ``fire_at`` instead. ``fresh`` as ``DeadlineStore.sync``."""
        ...

    def done(self, incident_id: int, key: str, now: datetime) -> None:
        """The work timer ``key`` stood for is done: it will not fire."""
        ...

    def retire_others(self, incident_id: int, prefix: str, keep: str, now: datetime) -> None:
        """The pending timers keyed ``prefix``…, but for ``keep``, will not fire."""
        ...

    def oldest_due(self, now: datetime) -> datetime | None:
        """The earliest fire time among timers due at ``now`` and not fired yet."""
        ...


class FactStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str, at: datetime) -> None: ...


class StatusUpdateStore(Protocol):
    def add(self, incident_id: int, update: StatusUpdate) -> None: ...

    def for_incident(self, incident_id: int) -> list[StatusUpdate]: ...


class PostmortemStore(Protocol):
    def get(self, incident_id: int) -> Postmortem | None: ...

    def drafted(self, incident_id: int, draft: str, at: datetime) -> None:
        """Keep ``draft`` (Markdown) as the incident's draft, replacing an earlier one."""
        ...

    def published(self, incident_id: int, url: str, by: str, at: datetime) -> None: ...


class TicketStore(Protocol):
    def add(self, incident_id: int, ticket: Ticket) -> None: ...

    def for_incident(self, incident_id: int) -> Ticket | None: ...


class AlertStore(Protocol):
    def save(self, alert: Alert, now: datetime) -> bool:
        """Store or update ``alert``; True when it is newly firing."""
        ...

    def firing(self, services: Collection[str]) -> list[Alert]: ...

    def find(self, fingerprint: str) -> Alert | None: ...


class DeployStore(Protocol):
    def record(
        self, deploy: Deploy, *, source: str, recorded_at: datetime, delivery_key: str | None = None
    ) -> bool: ...

    def between(
        self, services: Collection[str], since: datetime, until: datetime
    ) -> list[Deploy]: ...

    def recent(
        self, now: datetime, within: timedelta, service: str | None = None, limit: int = 20
    ) -> list[Deploy]: ...


class StatusPageStore(Protocol):
    def get(self, incident_id: int) -> PageRecord | None: ...

    def claim(self, incident_id: int, key: str, by: str, at: datetime) -> None:
        """Note that ``by`` is sending ``key`` to the status page since ``at`` (UTC)."""
        ...

    def release(self, incident_id: int) -> None:
        """Nothing is being sent any more (it failed): the next press may send."""
        ...

    def sent(self, incident_id: int, page: PageIncident, at: datetime) -> None:
        """The page incident as the status page answered; the claim is released."""
        ...


class RecordStore(Protocol):
    def records(
        self, since: datetime, until: datetime, policies: Policies, now: datetime
    ) -> list[Record]:
        """Each incident declared in [since, until) as insights read it, its deadlines
        planned against ``policies`` as of ``now``."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every store. Nothing is kept unless ``commit`` is called before the
    ``with`` block ends; an exception inside it keeps nothing."""

    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def deadlines(self) -> DeadlineStore: ...

    @property
    def timers(self) -> TimerStore: ...

    @property
    def facts(self) -> FactStore: ...

    @property
    def status_updates(self) -> StatusUpdateStore: ...

    @property
    def postmortems(self) -> PostmortemStore: ...

    @property
    def tickets(self) -> TicketStore: ...

    @property
    def alerts(self) -> AlertStore: ...

    @property
    def deploys(self) -> DeployStore: ...

    @property
    def deliveries(self) -> DeliveryStore: ...

    @property
    def note_marks(self) -> NoteMarkStore: ...

    @property
    def status_pages(self) -> StatusPageStore: ...

    @property
    def records(self) -> RecordStore: ...

    def commit(self) -> None: ...

    def read_only(self) -> None:
        """Only reads follow in this unit (call it first): it takes no write lock, so it does
        not wait for writers nor hold them up (SQLite; PostgreSQL readers never wait)."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class UnitsOfWork(Protocol):
    """Starts a unit of work: ``with units() as uow: ...; uow.commit()``."""

    def __call__(self) -> UnitOfWork: ...
