"""Timer rows: kept in step with the core's deadlines, claimed atomically, fired once.

Every replica claims due rows itself; the database arbitrates. On PostgreSQL the claim skips rows
another replica holds (FOR UPDATE SKIP LOCKED); on SQLite the write lock taken at BEGIN does the
same. A claim is a lease: if its holder dies, the row is claimed again once the lease runs out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.db import seals
from bot.adapters.db.tables import TimerRow
from bot.core.timers import BOT_WIDE, WORK, Purpose, TimerSpec
from bot.services.ports import Conflict
from bot.services.records import ClaimedTimer, TimerStatus


def _claimable(now: datetime) -> object:
    return or_(
        and_(TimerRow.status == TimerStatus.PENDING, TimerRow.fire_at <= now),
        and_(TimerRow.status == TimerStatus.CLAIMED, TimerRow.lease_until < now),
    )


def _of(incident_id: int) -> ColumnElement[bool]:
    """The rows of the incident's timers, or the bot-wide ones (``BOT_WIDE``: NULL)."""
    if incident_id == BOT_WIDE:
        return TimerRow.incident_id.is_(None)
    return TimerRow.incident_id == incident_id


def _unfired(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        TimerRow.status.in_([TimerStatus.PENDING, TimerStatus.CLAIMED]),
        TimerRow.fire_at <= now,
    )


class Timers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sync(self, incident_id: int, wanted: Iterable[TimerSpec], fresh: bool = False) -> None:
        """Add the wanted timers that are missing; cancel pending ones no longer wanted
        (``fresh``: the incident is new in this transaction, it has none to read)."""
        rows = {} if fresh else {row.key: row for row in self._timers_of(incident_id)}
        keys = set()
        added: list[TimerRow] = []
        for spec in wanted:
            keys.add(spec.key)
            row = rows.get(spec.key)
            if row is None:
                added.append(
                    TimerRow(
                        incident_id=incident_id,
                        key=spec.key,
                        deadline_key=spec.deadline_key,
                        purpose=str(spec.purpose),
                        fire_at=spec.fire_at,
                        status=TimerStatus.PENDING,
                        attempts=0,
                    )
                )
            elif row.status == TimerStatus.PENDING:
                row.fire_at = spec.fire_at
        for key, row in rows.items():
            if key not in keys and row.status == TimerStatus.PENDING:
                row.status = TimerStatus.CANCELLED
        seals.insert(self.session, added)
        if not fresh:
            self.session.flush()

    def _timers_of(self, incident_id: int) -> Iterable[TimerRow]:
        """The incident's deadline timers (not its work: set-up, tracker and the like)."""
        return self.session.scalars(
            select(TimerRow).where(
                TimerRow.incident_id == incident_id, TimerRow.purpose.not_in(list(WORK))
            )
        )

    def arm(
        self,
        incident_id: int,
        key: str,
        purpose: Purpose,
        fire_at: datetime,
        move: bool = False,
        fresh: bool = False,
    ) -> None:
        """A timer that is not a deadline's: added, or set pending again if it fired; one that
        is claimed is left as it is, and one pending too unless ``move`` sets it to fire at
        ``fire_at``. ``BOT_WIDE``: the bot's own; Conflict when another transaction added the
        same key first."""
        row = None
        if not fresh:
            row = self.session.scalar(select(TimerRow).where(_of(incident_id), TimerRow.key == key))
        if row is None:
            made = TimerRow(
                incident_id=None if incident_id == BOT_WIDE else incident_id,
                key=key,
                deadline_key=key,
                purpose=str(purpose),
                fire_at=fire_at,
                status=TimerStatus.PENDING,
                attempts=0,
            )
            if fresh:  # a new incident's: no other can hold its key
                seals.insert(self.session, [made])
                return
            self.session.add(made)
        elif row.status == TimerStatus.PENDING:
            if move:
                row.fire_at = fire_at
        elif row.status != TimerStatus.CLAIMED:
            row.status, row.fire_at, row.attempts = TimerStatus.PENDING, fire_at, 0
            row.claimed_by = row.lease_until = row.fired_at = None
        try:
            self.session.flush()
        except IntegrityError as clash:
            raise Conflict(f"timer {key} was armed already") from clash

    def retire_others(self, incident_id: int, prefix: str, keep: str, now: datetime) -> None:
        """Pending timers whose key starts with ``prefix``, but for ``keep``: they will not
        fire (one claimed now is left to finish)."""
        self.session.execute(
            update(TimerRow)
            .where(
                _of(incident_id),
                TimerRow.key.startswith(prefix, autoescape=True),
                TimerRow.key != keep,
                TimerRow.status == TimerStatus.PENDING,
            )
            .values(status=TimerStatus.CANCELLED, fired_at=now)
            .execution_options(synchronize_session=False)
        )

    def done(self, incident_id: int, key: str, now: datetime) -> None:
        """The work a timer stood for is done: it will not fire (whoever holds it)."""
        self.session.execute(
            update(TimerRow)
            .where(
                _of(incident_id),
                TimerRow.key == key,
                TimerRow.status.in_([TimerStatus.PENDING, TimerStatus.CLAIMED]),
            )
            .values(status=TimerStatus.FIRED, fired_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    def claim(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 100
    ) -> list[ClaimedTimer]:
        """Take up to ``limit`` due timers (and ones whose holder's lease ran out) for ``owner``."""
        due = (
            select(TimerRow.id)
            .where(_claimable(now))  # type: ignore[arg-type]
            .order_by(TimerRow.fire_at, TimerRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = self.session.execute(
            update(TimerRow)
            .where(TimerRow.id.in_(due.scalar_subquery()))
            .values(
                status=TimerStatus.CLAIMED,
                claimed_by=owner,
                lease_until=now + lease,
                attempts=TimerRow.attempts + 1,
            )
            .returning(
                TimerRow.id,
                TimerRow.incident_id,
                TimerRow.key,
                TimerRow.deadline_key,
                TimerRow.purpose,
                TimerRow.fire_at,
                TimerRow.attempts,
                TimerRow.posted,
            )
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(
            (
                ClaimedTimer(
                    r.id,
                    BOT_WIDE if r.incident_id is None else r.incident_id,
                    r.key,
                    r.deadline_key,
                    Purpose(r.purpose),
                    r.fire_at,
                    r.attempts,
                    r.posted,
                )
                for r in claimed
            ),
            key=lambda timer: (timer.fire_at, timer.id),
        )

    def finish(
        self,
        timer_id: int,
        owner: str,
        now: datetime,
        status: TimerStatus = TimerStatus.FIRED,
        posted: str | None = None,
    ) -> bool:
        """Close the timer; False if ``owner`` no longer holds it (its lease was taken over)."""
        values: dict[str, object] = {"status": status, "fired_at": now, "lease_until": None}
        if posted is not None:
            values["posted"] = posted
        return self._update_held(timer_id, owner, **values)

    def postpone(self, timer_id: int, owner: str, fire_at: datetime) -> bool:
        """Give the timer up until ``fire_at``, when any replica may claim it again; False if
        ``owner`` no longer holds it."""
        return self._update_held(
            timer_id,
            owner,
            status=TimerStatus.PENDING,
            fire_at=fire_at,
            claimed_by=None,
            lease_until=None,
        )

    def renew(self, timer_id: int, owner: str, until: datetime) -> bool:
        """Hold the claim until ``until``; False if ``owner`` no longer holds it (another replica
        took it over, or it is finished)."""
        return self._update_held(timer_id, owner, lease_until=until)

    def _update_held(self, timer_id: int, owner: str, **values: object) -> bool:
        result = self.session.execute(
            update(TimerRow)
            .where(
                TimerRow.id == timer_id,
                TimerRow.claimed_by == owner,
                TimerRow.status == TimerStatus.CLAIMED,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def next_fire_at(self) -> datetime | None:
        return self.session.scalar(
            select(func.min(TimerRow.fire_at)).where(TimerRow.status == TimerStatus.PENDING)
        )

    def due(self, now: datetime) -> int:
        """Timers past their time and not fired yet (claimed ones included)."""
        counted = select(func.count()).select_from(TimerRow).where(*_unfired(now))
        return int(self.session.scalar(counted) or 0)

    def oldest_due(self, now: datetime) -> datetime | None:
        """The earliest fire time among timers past their time and not fired yet."""
        return self.session.scalar(select(func.min(TimerRow.fire_at)).where(*_unfired(now)))

    def count(self, status: TimerStatus) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(TimerRow).where(TimerRow.status == status)
            )
            or 0
        )
