"""Firing the protocol's timers: claim what is due, say it in Slack, record it, exactly once.

``TimerRunner.tick(now)`` is the whole mechanism and takes the time as an argument, so tests and
the sandbox drive it with a virtual clock; ``Ticker`` calls it on the real clock with APScheduler.
Each firing holds its claim as a lease (``bot.services.leases``), renewed before it posts and
before any wait it would not outlast; a firing that lost its claim posts and records nothing.
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
from bot.services import leases
from bot.services.clock import Stopwatch, system_stopwatch
from bot.services.incidents import IncidentService
from bot.services.leases import Lease, LeaseLost
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


SETUP_RETRY = timedelta(seconds=10)  # the first wait before a set-up is tried again
SETUP_RETRY_MOST = timedelta(minutes=5)

SetUp = Callable[[int], bool]
"""Finishes setting up an incident's room (by id); True once it is set up."""


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
        stopwatch: Stopwatch = system_stopwatch,
        setup: SetUp | None = None,
    ) -> None:
        self.setup = setup  # finishes an incident's room; None: nothing to finish here
        self.units = units
        self.service = service
        self.announcer = announcer
        self.owner = owner or owner_name()
        self.lease = lease
        self.max_attempts = max_attempts
        self.parallel = parallel
        self.stopwatch = stopwatch  # how long a firing has been at it, to keep its lease

    def tick(self, now: datetime, batch: int = 100) -> list[Fired]:
        """Fire every timer due at ``now`` that no other replica holds, ``batch`` at a time.

        The claimed timers fire in parallel: each waits mostly on Slack.
        """
        fired: list[Fired] = []
        started = self.stopwatch()
        while True:
            with self.units() as uow:
                claimed = uow.timers.claim(now, self.owner, self.lease, limit=batch)
                uow.commit()
            if len(claimed) > 1:
                with ThreadPoolExecutor(min(self.parallel, len(claimed))) as pool:
                    fired += pool.map(lambda t: self._fire_safely(t, now, started), claimed)
            else:
                fired += [self._fire_safely(timer, now, started) for timer in claimed]
            if len(claimed) < batch:
                return fired

    def due_count(self, now: datetime) -> int:
        with self.units() as uow:
            return uow.timers.due(now)

    def next_fire_at(self) -> datetime | None:
        with self.units() as uow:
            return uow.timers.next_fire_at()

    def _fire_safely(self, timer: ClaimedTimer, now: datetime, started: float) -> Fired:
        """Fire ``timer``, claimed as of the tick's ``now`` (``started`` on the stopwatch)."""
        lease = Lease(self.units, timer.id, self.owner, self.lease, now, self.stopwatch, started)
        try:
            with leases.holding(lease):
                outcome = self._fire(timer, now, lease)
        except LeaseLost:
            outcome = self._taken_over(timer)
        except Exception:  # a call given up because the claim was lost is no failure of ours
            outcome = self._taken_over(timer) if lease.lost else self._failed(timer, now)
        return Fired(timer, outcome, now - timer.fire_at)

    def _taken_over(self, timer: ClaimedTimer) -> str:
        log.info(
            "timer taken over by another replica",
            extra={"incident_id": timer.incident_id, "timer": timer.key},
        )
        return "skipped"

    def _failed(self, timer: ClaimedTimer, now: datetime) -> str:
        log.exception(
            "timer failed",
            extra={"incident_id": timer.incident_id, "timer": timer.key, "attempt": timer.attempts},
        )
        if timer.attempts >= self.max_attempts:
            self._close(timer, now, TimerStatus.FAILED)
        return "failed"

    def _fire(self, timer: ClaimedTimer, now: datetime, lease: Lease) -> str:
        if timer.purpose is Purpose.SETUP:
            return self._set_up(timer, now)
        view = self.service.get(timer.incident_id, now)
        deadline = next((d for d in view.deadlines if d.key == timer.deadline_key), None)
        if timer.purpose is Purpose.DUE and _unmet_and_missed(deadline):
            assert deadline is not None
            said = self._announce(timer, lease, view, now, self.announcer.overdue, deadline)
            self._record_miss(timer, deadline, now, said)
            return "fired"
        if (
            timer.purpose is Purpose.REMINDER
            and deadline is not None
            and deadline.status is DeadlineStatus.PENDING
        ):
            said = self._announce(timer, lease, view, now, self.announcer.remind, deadline)
            self._close(timer, now, TimerStatus.FIRED, said)
            return "fired"
        self._close(timer, now, TimerStatus.CANCELLED)  # met or replaced since it was set
        return "skipped"

    def _set_up(self, timer: ClaimedTimer, now: datetime) -> str:
        """Finish setting up the incident's room; until it is, try again later (backing off,
        never giving up: an incident without its channel or card is half-declared)."""
        try:
            finished = self.setup is None or self.setup(timer.incident_id)
        except Exception:
            log.exception("could not finish setting up", extra={"incident_id": timer.incident_id})
            finished = False
        if finished:
            self._close(timer, now, TimerStatus.FIRED)
            return "fired"
        backoff = min(SETUP_RETRY * 2 ** max(timer.attempts - 1, 0), SETUP_RETRY_MOST)
        with self.units() as uow:
            uow.timers.postpone(timer.id, self.owner, now + backoff)
            uow.commit()
        return "failed"

    def _announce(
        self,
        timer: ClaimedTimer,
        lease: Lease,
        view: IncidentView,
        now: datetime,
        say: Callable[[IncidentView, Deadline, datetime, str], str],
        deadline: Deadline,
    ) -> str:
        """Say it once; returns a reference to what was said.

        A holder before this one (``attempts`` > 1) may have said it and died before noting it:
        its message carries the timer's tag, so look for it before saying it again. Saying it
        starts from a renewed claim (LeaseLost if another replica took the timer meanwhile).
        """
        if timer.posted is not None:
            return timer.posted
        tag = f"{timer.incident_id}:{timer.key}"
        if timer.attempts > 1 and (found := self.announcer.already_said(view, tag)):
            return found
        lease.renew()
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
