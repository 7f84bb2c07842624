"""Firing the protocol's timers: claim what is due, say it in Slack, record it, exactly once.

``TimerRunner.tick(now)`` is the whole mechanism and takes the time as an argument, so tests and
the sandbox drive it with a virtual clock; ``Ticker`` calls it on the real clock with APScheduler.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core import durations
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import Deadline
from bot.core.model import EventKind
from bot.core.timers import Purpose
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.read_model import IncidentView
from bot.services.records import BOT, ClaimedTimer, TimerStatus

log = logging.getLogger(__name__)


class Announcer(Protocol):
    """Where firings are said (Slack in production, a recorder in tests).

    ``tag`` names the firing uniquely; each method returns a reference to what it posted, and
    ``already_said`` finds a firing's message again by its tag (after a holder died mid-way).
    """

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str: ...

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str: ...

    def already_said(self, view: IncidentView, tag: str) -> str | None: ...


class LeaseLost(RuntimeError):
    """Another replica took the timer over; this one must not record its firing."""


@dataclass(frozen=True)
class Fired:
    timer: ClaimedTimer
    outcome: str  # fired, skipped or failed
    lateness: timedelta


def owner_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class TimerRunner:
    def __init__(
        self,
        units: UnitsOfWork,
        service: IncidentService,
        announcer: Announcer,
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=20),
        max_attempts: int = 5,
        parallel: int = 8,
    ) -> None:
        self.units = units
        self.service = service
        self.announcer = announcer
        self.owner = owner or owner_name()
        self.lease = lease
        self.max_attempts = max_attempts
        self.parallel = parallel

    def tick(self, now: datetime, batch: int = 100) -> list[Fired]:
        """Fire every timer due at ``now`` that no other replica holds, ``batch`` at a time.

        The claimed timers fire in parallel: each waits mostly on Slack.
        """
        fired: list[Fired] = []
        while True:
            with self.units() as uow:
                claimed = uow.timers.claim(now, self.owner, self.lease, limit=batch)
                uow.commit()
            if len(claimed) > 1:
                with ThreadPoolExecutor(min(self.parallel, len(claimed))) as pool:
                    fired += pool.map(lambda timer: self._fire_safely(timer, now), claimed)
            else:
                fired += [self._fire_safely(timer, now) for timer in claimed]
            if len(claimed) < batch:
                return fired

    def due_count(self, now: datetime) -> int:
        with self.units() as uow:
            return uow.timers.due(now)

    def next_fire_at(self) -> datetime | None:
        with self.units() as uow:
            return uow.timers.next_fire_at()

    def _fire_safely(self, timer: ClaimedTimer, now: datetime) -> Fired:
        try:
            outcome = self._fire(timer, now)
        except LeaseLost:
            outcome = "skipped"
        except Exception:
            log.exception(
                "timer failed",
                extra={
                    "incident_id": timer.incident_id,
                    "timer": timer.key,
                    "attempt": timer.attempts,
                },
            )
            outcome = "failed"
            if timer.attempts >= self.max_attempts:
                self._close(timer, now, TimerStatus.FAILED)
        return Fired(timer, outcome, now - timer.fire_at)

    def _fire(self, timer: ClaimedTimer, now: datetime) -> str:
        view = self.service.get(timer.incident_id, now)
        deadline = next((d for d in view.deadlines if d.key == timer.deadline_key), None)
        if timer.purpose is Purpose.DUE and _unmet_and_missed(deadline):
            assert deadline is not None
            said = self._announce(timer, view, now, self.announcer.overdue, deadline)
            self._record_miss(timer, deadline, now, said)
            return "fired"
        if (
            timer.purpose is Purpose.REMINDER
            and deadline is not None
            and deadline.status is DeadlineStatus.PENDING
        ):
            said = self._announce(timer, view, now, self.announcer.remind, deadline)
            self._close(timer, now, TimerStatus.FIRED, said)
            return "fired"
        self._close(timer, now, TimerStatus.CANCELLED)  # met or replaced since it was set
        return "skipped"

    def _announce(
        self,
        timer: ClaimedTimer,
        view: IncidentView,
        now: datetime,
        say: Callable[[IncidentView, Deadline, datetime, str], str],
        deadline: Deadline,
    ) -> str:
        """Say it once; returns a reference to what was said.

        A holder before this one (``attempts`` > 1) may have said it and died before noting it:
        its message carries the timer's tag, so look for it before saying it again.
        """
        if timer.posted is not None:
            return timer.posted
        tag = f"{timer.incident_id}:{timer.key}"
        if timer.attempts > 1 and (found := self.announcer.already_said(view, tag)):
            return found
        return say(view, deadline, now, tag)

    def _record_miss(
        self, timer: ClaimedTimer, deadline: Deadline, now: datetime, said: str
    ) -> None:
        """The miss goes in the timeline in the same transaction that closes the timer, so a
        replica that lost the timer's lease records nothing (LeaseLost)."""
        late = durations.compact(now - deadline.due_at) if now > deadline.due_at else "0s"
        miss = self.service.event(
            EventKind.DEADLINE_MISSED,
            BOT,
            text=deadline.kind.description,
            extra={
                "deadline": deadline.key,
                "due_at": deadline.due_at.isoformat(),
                "announced_late_by": late,
            },
        )
        with self.units() as uow:
            changed = self.service.decide(uow, timer.incident_id, miss)
            if not uow.timers.finish(timer.id, self.owner, now, posted=said):
                raise LeaseLost(timer.key)
            uow.incidents.append(timer.incident_id, changed.event, changed.incident)
            uow.commit()

    def _close(
        self, timer: ClaimedTimer, now: datetime, status: TimerStatus, said: str | None = None
    ) -> None:
        with self.units() as uow:
            uow.timers.finish(timer.id, self.owner, now, status, posted=said)
            uow.commit()


def _unmet_and_missed(deadline: Deadline | None) -> bool:
    return (
        deadline is not None
        and deadline.status is DeadlineStatus.MISSED
        and deadline.met_at is None
    )
