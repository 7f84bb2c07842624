"""Firing the protocol's timers: claim what is due, say it in Slack, record it, exactly once.

``TimerRunner.tick(now)`` is the whole mechanism and takes the time as an argument, so tests and
the sandbox drive it with a virtual clock; ``Ticker`` calls it on the real clock, from a thread.
Each firing holds its claim as a lease (``bot.services.leases``), renewed before it posts and
before any wait it would not outlast; a firing that lost its claim posts and records nothing.

A firing that fails is tried again within seconds (``RETRY_BACKOFF``), by whichever replica
claims it then. Whatever the chat answers, what the protocol owes is recorded: a miss, an
escalation, or (for a reminder) that it reached nobody; when no one could be told, the timer
ends ``failed`` with that entry in the timeline, and the failure is logged once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from queue import Empty, SimpleQueue
from typing import Protocol

from bot.core import durations
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import Deadline, Escalation
from bot.core.model import Event, EventKind
from bot.core.timers import WORK, Purpose, escalation_key
from bot.services import leases
from bot.services.chat import ChatFailure
from bot.services.clock import Stopwatch, system_stopwatch
from bot.services.delivery import Delivery, Reach
from bot.services.incidents import IncidentService
from bot.services.leases import Lease, LeaseLost
from bot.services.ports import UnitsOfWork
from bot.services.read_model import IncidentView
from bot.services.records import BOT, ClaimedTimer, TimerStatus

log = logging.getLogger(__name__)


# How long a failed firing waits before it is claimed again, by its attempt (then the last).
RETRY_BACKOFF = (1, 2, 4, 8, 15, 30, 30)  # seconds: given up about 90 s after the first try


class Announcer(Protocol):
    """Where firings are said (Slack in production, a recorder in tests).

    ``tag`` names the firing uniquely; each method returns who it reached (``Reach.NOBODY``
    when every target refused for good) and raises ChatFailure on any other failure;
    ``already_said`` finds a firing's message again by its tag (after a holder died mid-way).
    """

    def overdue(
        self, view: IncidentView, deadline: Deadline, now: datetime, tag: str
    ) -> Delivery: ...

    def escalate(
        self,
        view: IncidentView,
        deadline: Deadline,
        escalation: Escalation,
        now: datetime,
        tag: str,
    ) -> Delivery: ...

    def remind(
        self, view: IncidentView, deadline: Deadline, now: datetime, tag: str
    ) -> Delivery: ...

    def already_said(self, view: IncidentView, tag: str) -> str | None: ...


SETUP_RETRY = timedelta(seconds=10)  # the first wait before a set-up is tried again
SETUP_RETRY_MOST = timedelta(minutes=5)

SetUp = Callable[[int], bool]


class TrackerWork(Protocol):
    """Follow-ups owed to the team's tracker (``bot.services.follow_ups.FollowUps``)."""

    poll_every: timedelta

    def sync(self, incident_id: int) -> bool:
        """Do what is owed; True when nothing is left."""
        ...

    def still_to_poll(self, incident_id: int) -> bool: ...

    def look_again(self, incident_id: int, number: int) -> None:
        """Ask the tracker whether follow-up ``number``'s issue was closed there meanwhile."""
        ...


"""Finishes setting up an incident's room (by id); True once it is set up."""


@dataclass(frozen=True)
class Fired:
    """One claimed timer's firing. ``outcome``: fired, skipped (no longer needed, or taken
    over), retrying (failed; claimed again after a backoff) or undelivered (what it owed is
    recorded, but it reached nobody); ``reach``: who its notice reached, if it said one."""

    timer: ClaimedTimer
    outcome: str
    lateness: timedelta
    reach: Reach | None = None


@dataclass(frozen=True)
class _Said:
    """A notice said by a firing, its record still to be made (with others': ``_record``)."""

    timer: ClaimedTimer
    deadline: Deadline
    said: Delivery
    lease: Lease


RECORDED_TOGETHER = 50  # the most notices recorded in one transaction

READ_AHEAD_SECONDS = 1.0
"""How long the incidents read for a batch of claimed timers stand for a read of each: a
firing after that reads its incident itself. A firing always acted on a read made before it
posts (a Slack wait can come between); this bounds the read-ahead's share of that."""


@dataclass(frozen=True)
class _ReadAhead:
    """The incidents of a batch of claimed deadline timers, read together as the batch was
    claimed (one read instead of one per firing: under a burst, every firing reading its own
    incident held the notices back to about half the pace Slack allowed; benchmarks/timers.py),
    and when (on the stopwatch)."""

    views: Mapping[int, IncidentView]
    at: float

    def view(self, incident_id: int, now: float) -> IncidentView | None:
        """The incident as read ahead, while that read is fresh enough at ``now``."""
        if now - self.at > READ_AHEAD_SECONDS:
            return None
        return self.views.get(incident_id)


NOTHING_READ = _ReadAhead({}, -math.inf)


def _news(
    news: SimpleQueue[_Said | Future[Fired | None]], wait: float | None
) -> list[_Said | Future[Fired | None]]:
    """What arrived: the first waited for up to ``wait`` seconds (None: as long as it takes;
    0: not at all), then everything already there."""
    arrived: list[_Said | Future[Fired | None]] = []
    if wait != 0:
        with contextlib.suppress(Empty):
            arrived.append(news.get(timeout=wait))
    while True:
        try:
            arrived.append(news.get_nowait())
        except Empty:
            return arrived


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
        max_attempts: int = len(RETRY_BACKOFF) + 1,
        parallel: int = 8,
        stopwatch: Stopwatch = system_stopwatch,
        setup: SetUp | None = None,
        on_recorded: Callable[[int], None] | None = None,
        tracker: TrackerWork | None = None,
        tell: Callable[[int], bool] | None = None,
        page: Callable[[int], bool] | None = None,
        digest: Callable[[str], bool] | None = None,
    ) -> None:
        self.digest = digest  # sends the weekly digest a bot-wide timer's key names
        self.page = page  # resolves a resolved incident's status-page incident
        self.tell = tell  # tells stakeholders what they are owed; None: nothing to tell here
        self.setup = setup  # finishes an incident's room; None: nothing to finish here
        self.tracker = tracker  # files follow-ups in the team's tracker; None: none configured
        self.units = units
        self.service = service
        self.announcer = announcer
        self.owner = owner or owner_name()
        self.lease = lease
        self.max_attempts = max_attempts
        self.parallel = parallel
        self.stopwatch = stopwatch  # how long a firing has been at it, to keep its lease
        self.on_recorded = on_recorded  # told the incident's id after a miss or an escalation

    def tick(self, now: datetime, batch: int = 100) -> list[Fired]:
        """Fire every timer due at ``now`` that no other replica holds, ``batch`` claimed at a
        time (the next as soon as fewer than ``parallel`` of the last are still to start).

        The claimed timers fire in parallel: each waits mostly on Slack. Their incidents are
        read together as each batch is claimed (``_read_ahead``), and what their notices said
        is recorded by this thread, several in one transaction (``_record``), so a firing
        neither reads alone nor waits on the database's write lock. Notices come
        first: while others still wait to be said, what was said is recorded once it has
        waited a quarter of the lease, or at once when its claim has less than half its lease
        left (so the record is made well before the claim runs out).
        """
        fired: list[Fired] = []
        started = self.stopwatch()
        while True:
            claimed = self._claim(now, batch)
            if len(claimed) > 1:
                return fired + self._fire_all(claimed, now, started, batch)
            if claimed:
                alone = self._fire_safely(claimed[0], now, started)
                assert alone is not None  # without a recorder, a firing records its own
                fired.append(alone)
            if len(claimed) < batch:
                return fired

    @property
    def _record_within(self) -> float:
        """Seconds a notice said waits at most to be recorded while others are still to say."""
        return self.lease.total_seconds() / 4

    def _claim(self, now: datetime, batch: int) -> list[ClaimedTimer]:
        with self.units() as uow:
            claimed = uow.timers.claim(now, self.owner, self.lease, limit=batch)
            uow.commit()
        return claimed

    def _fire_all(
        self, claimed: list[ClaimedTimer], now: datetime, started: float, batch: int
    ) -> list[Fired]:
        """Fire ``claimed`` in parallel, and what is claimed after it, recording the notices
        said as they come."""
        news: SimpleQueue[_Said | Future[Fired | None]] = SimpleQueue()
        fired: list[Fired] = []
        more = len(claimed) == batch  # a full batch: there may be more due
        with ThreadPoolExecutor(
            self.parallel if more else min(self.parallel, len(claimed))
        ) as pool:
            firing = 0
            to_record: list[_Said] = []
            oldest = 0.0  # when the oldest notice still to record was said (on the stopwatch)
            latest = math.inf  # on the stopwatch: when one of them must be recorded at the latest
            while claimed or firing or to_record:
                ahead = self._read_ahead(claimed, now)
                for timer in claimed:
                    future = pool.submit(self._fire_safely, timer, now, started, news.put, ahead)
                    future.add_done_callback(news.put)
                firing, claimed = firing + len(claimed), []
                saying = more or firing > self.parallel  # notices wait to be said
                if not to_record:
                    wait: float | None = None  # nothing to record: wait for news
                else:
                    wait = max(oldest + self._record_within - self.stopwatch(), 0) if saying else 0
                for item in _news(news, wait):
                    if isinstance(item, _Said):
                        if not to_record:
                            oldest = self.stopwatch()
                        to_record.append(item)
                        latest = min(latest, self._record_by(item.lease))
                        continue
                    firing -= 1
                    try:
                        result = item.result()
                    except Exception:  # what one firing could not even fail cleanly (the
                        # database gone while it noted its retry) holds back no other's record
                        log.exception("a timer firing failed and could not be noted")
                        continue
                    if result is not None:
                        fired.append(result)
                saying = more or firing > self.parallel
                if to_record and self._record_now(latest, oldest, saying):
                    fired += self._record_all(to_record, now, pool)
                    to_record, latest = [], math.inf
                if more and firing <= self.parallel:
                    claimed = self._claim(now, batch)
                    more = len(claimed) == batch
        return fired

    def _read_ahead(self, claimed: list[ClaimedTimer], now: datetime) -> _ReadAhead:
        """The incidents of the deadline timers in ``claimed``, as of ``now``, read in one go;
        nothing if there are none or the read fails (each firing then reads its own, and
        meets the failure there, as it would have)."""
        ids = {timer.incident_id for timer in claimed if timer.purpose not in WORK}
        if not ids:
            return NOTHING_READ
        at = self.stopwatch()  # before the read: its age is counted from its snapshot
        try:
            views = self.service.get_many(ids, now)
        except Exception as error:  # one incident that cannot be read holds back no other's
            log.warning(
                "could not read a burst's incidents ahead; each firing reads its own: %s: %s",
                type(error).__name__,
                error,
            )
            return NOTHING_READ
        return _ReadAhead(views, at)

    def _record_now(self, latest: float, oldest: float, saying: bool) -> bool:
        """Whether the notices said are recorded now: none wait to be said, the oldest has
        waited a quarter of the lease, or one's claim has less than half its lease left (at
        ``latest`` on the stopwatch, the soonest of theirs: ``_record_by``)."""
        at = self.stopwatch()
        return not saying or at - oldest >= self._record_within or at >= latest

    def _record_by(self, lease: Lease) -> float:
        """When, on the stopwatch, a notice said under ``lease`` is recorded at the latest:
        once its claim has half the lease left. Its firing is over, so the lease no longer
        moves; worked out once as it arrives, not again for every notice after it."""
        left = (lease.until - lease.now() - self.lease / 2).total_seconds()
        return self.stopwatch() + left

    def _record_all(
        self, to_record: list[_Said], now: datetime, pool: ThreadPoolExecutor
    ) -> list[Fired]:
        """Record ``to_record`` (one notice per incident per transaction); each incident's
        ``on_recorded`` goes to ``pool``, behind the notices still to say."""
        fired: list[Fired] = []
        while to_record:
            together, to_record = _one_each(to_record)
            recorded, after = self._record(together, now)
            fired += recorded
            for incident_id in after:
                pool.submit(self._after_record, incident_id)
        return fired

    def due_count(self, now: datetime) -> int:
        with self.units() as uow:
            uow.read_only()
            return uow.timers.due(now)

    def oldest_due(self, now: datetime) -> datetime | None:
        """The fire time of the longest-waiting timer due at ``now`` and not fired yet."""
        with self.units() as uow:
            uow.read_only()
            return uow.timers.oldest_due(now)

    def next_fire_at(self) -> datetime | None:
        with self.units() as uow:
            uow.read_only()
            return uow.timers.next_fire_at()

    def _fire_safely(
        self,
        timer: ClaimedTimer,
        now: datetime,
        started: float,
        record: Callable[[_Said], None] | None = None,
        ahead: _ReadAhead = NOTHING_READ,
    ) -> Fired | None:
        """Fire ``timer``, claimed as of the tick's ``now`` (``started`` on the stopwatch).

        With ``record``, a notice said is handed to it to be recorded (None is returned);
        without, it is recorded here. ``ahead``: its incident, read with its batch's."""
        alone = timer.purpose not in WORK  # a deadline's timer: only its holder changes it
        lease = Lease(
            self.units, timer.id, self.owner, self.lease, now, self.stopwatch, started, alone
        )
        reach: Reach | None = None
        try:
            with leases.holding(lease):
                done = self._fire(timer, now, lease, record, ahead)
            if done is None:
                return None
            outcome, reach = done
        except LeaseLost:
            outcome = self._taken_over(timer)
        except Exception as error:  # a call given up because the claim was lost is no failure
            if lease.lost:
                outcome = self._taken_over(timer)
            else:
                outcome, reach = self._failed(timer, now, lease, error)
        return Fired(timer, outcome, now - timer.fire_at, reach)

    def _taken_over(self, timer: ClaimedTimer) -> str:
        log.info(
            "timer taken over by another replica",
            extra={"incident_id": timer.incident_id, "timer": timer.key},
        )
        return "skipped"

    def _failed(
        self, timer: ClaimedTimer, now: datetime, lease: Lease, error: Exception
    ) -> tuple[str, Reach | None]:
        """Try again after a backoff; past the last attempt, record what the timer owed as
        reaching nobody."""
        context = {"incident_id": timer.incident_id, "timer": timer.key, "attempt": timer.attempts}
        if timer.attempts < self.max_attempts:
            wait = RETRY_BACKOFF[min(timer.attempts, len(RETRY_BACKOFF)) - 1]
            log.warning("timer firing failed; trying again in %ss: %s", wait, error, extra=context)
            with self.units() as uow:  # held, not lost: claimable again once the wait is over
                uow.timers.renew(timer.id, self.owner, lease.now() + timedelta(seconds=wait))
                uow.commit()
            return "retrying", None
        if not isinstance(error, ChatFailure):
            log.error("timer firing failed for good", exc_info=error, extra=context)
        view = self.service.get(timer.incident_id, now)
        deadline = _deadline(view, timer)
        if not self._owed(timer, deadline):
            self._close(timer, now, TimerStatus.FAILED)
            return "undelivered", Reach.NOBODY
        assert deadline is not None
        nobody = Delivery(Reach.NOBODY, None, (f"gave up after {timer.attempts} tries: {error}",))
        return self._settle(timer, deadline, now, nobody), Reach.NOBODY

    def _fire(
        self,
        timer: ClaimedTimer,
        now: datetime,
        lease: Lease,
        record: Callable[[_Said], None] | None = None,
        ahead: _ReadAhead = NOTHING_READ,
    ) -> tuple[str, Reach | None] | None:
        if timer.purpose in WORK:
            return self._work(timer, now), None
        view = ahead.view(timer.incident_id, self.stopwatch())
        if view is None:
            view = self.service.get(timer.incident_id, now)
        deadline = _deadline(view, timer)
        if self._looked_again(timer, deadline):
            view = self.service.get(timer.incident_id, now)
            deadline = _deadline(view, timer)
        if not self._owed(timer, deadline):
            self._close(timer, now, TimerStatus.CANCELLED)  # met or replaced since it was set
            return "skipped", None
        assert deadline is not None
        said = self._announce(timer, lease, view, now, deadline)
        if record is not None:
            record(_Said(timer, deadline, said, lease))
            return None
        return self._settle(timer, deadline, now, said), said.reach

    def _looked_again(self, timer: ClaimedTimer, deadline: Deadline | None) -> bool:
        """Before a follow-up's reminder, overdue notice or escalation: its tracker asked
        whether its issue was closed there meanwhile (True: asked; the deadline may have
        changed). Best effort: any failure leaves the notice to go out as it would."""
        if self.tracker is None or deadline is None or deadline.follow_up is None:
            return False
        if not self._owed(timer, deadline):
            return False
        try:
            self.tracker.look_again(timer.incident_id, deadline.follow_up)
        except Exception as error:
            log.warning("could not ask the tracker before a follow-up's notice: %s", error)
            return False
        return True

    def _record(self, notices: list[_Said], now: datetime) -> tuple[list[Fired], list[int]]:
        """Record what ``notices`` (one per incident) owe the timeline, closing their timers, in
        one transaction; returns their firings and the incidents to tell ``on_recorded`` of.

        Every timer is closed first (a lost one records nothing), then the incidents are
        locked in the order of their ids (two batches never wait on each other in a cycle), and
        the entries appended last. If that transaction fails, each is recorded alone, as a firing
        records its own (``_settle``), so one that cannot be recorded holds back no other.
        """
        entries = [(n, self._entry(n.timer, n.deadline, now, n.said)) for n in notices]
        try:
            with self.units() as uow:
                kept = [
                    (notice, entry)
                    for notice, entry in entries
                    if uow.timers.finish(
                        notice.timer.id,
                        self.owner,
                        now,
                        TimerStatus.FIRED if notice.said.delivered else TimerStatus.FAILED,
                        posted=notice.said.reference,
                    )
                ]
                changes = [
                    (
                        notice.timer.incident_id,
                        self.service.decide(uow, notice.timer.incident_id, e),
                    )
                    for notice, e in sorted(kept, key=lambda k: k[0].timer.incident_id)
                    if e is not None
                ]
                for incident_id, changed in changes:
                    uow.incidents.append(incident_id, changed.event, changed.incident)
                uow.commit()
        except Exception as error:
            log.warning("recording %d notices together failed, each alone: %s", len(notices), error)
            return [self._record_alone(notice, now) for notice in notices], []
        recorded = {notice.timer.id for notice, _ in kept}
        fired: list[Fired] = []
        for notice in notices:
            timer, said = notice.timer, notice.said
            if timer.id not in recorded:
                fired.append(Fired(timer, self._taken_over(timer), now - timer.fire_at))
                continue
            if not said.delivered:
                self._undelivered(timer, said)
            outcome = "fired" if said.delivered else "undelivered"
            fired.append(Fired(timer, outcome, now - timer.fire_at, said.reach))
        return fired, [incident_id for incident_id, _ in changes]

    def _record_alone(self, notice: _Said, now: datetime) -> Fired:
        """Record ``notice`` in its own transaction, as its firing would have."""
        timer = notice.timer
        reach: Reach | None = notice.said.reach
        try:
            outcome = self._settle(timer, notice.deadline, now, notice.said)
        except LeaseLost:
            outcome, reach = self._taken_over(timer), None
        except Exception as error:
            if notice.lease.lost:
                outcome, reach = self._taken_over(timer), None
            else:
                outcome, reach = self._failed(timer, now, notice.lease, error)
        return Fired(timer, outcome, now - timer.fire_at, reach)

    def _owed(self, timer: ClaimedTimer, deadline: Deadline | None) -> bool:
        """Whether what ``timer`` was set for is still to be done, as the deadline is now."""
        if deadline is None:
            return False
        match timer.purpose:
            case Purpose.DUE:
                return deadline.status is DeadlineStatus.MISSED and deadline.met_at is None
            case Purpose.REMINDER:
                return deadline.status is DeadlineStatus.PENDING
            case Purpose.ESCALATE:
                coming = deadline.next_escalation
                return coming is not None and escalation_key(deadline.key, coming.step) == timer.key
            case Purpose.SETUP | Purpose.TRACKER | Purpose.TELL | Purpose.PAGE | Purpose.DIGEST:
                return False  # not a deadline's

    def _work(self, timer: ClaimedTimer, now: datetime) -> str:
        """Do the owed work ``timer`` stands for: finish setting up the incident's room, tell
        stakeholders what they are owed, bring its follow-ups and their tracker into step, or
        send the week's digest (a bot-wide timer).
        Until it is done, try again later (backing off, never giving up: a half-declared
        incident, untold stakeholders or an unfiled follow-up are never right); a tracker is
        then polled while a filed follow-up is open."""
        tracker, digest = self.tracker, self.digest
        work: Callable[[int], bool] | None = {
            Purpose.SETUP: self.setup,
            Purpose.TELL: self.tell,
            Purpose.PAGE: self.page,
            Purpose.TRACKER: tracker.sync if tracker else None,
            Purpose.DIGEST: (lambda _bot_wide: digest(timer.key)) if digest else None,
        }.get(timer.purpose)
        try:
            done = work is None or work(timer.incident_id)
        except ChatFailure as refused:  # Slack's answer says it all: one line per try
            context = {"incident_id": timer.incident_id, "timer": timer.key}
            log.warning(
                "owed work failed, tried again later: %s: %s",
                timer.purpose,
                refused,
                extra={**context, "attempt": timer.attempts},
            )
            done = False
        except Exception:
            log.exception(
                "owed work failed: %s", timer.purpose, extra={"incident_id": timer.incident_id}
            )
            done = False
        polling = (
            done
            and timer.purpose is Purpose.TRACKER
            and tracker is not None
            and tracker.still_to_poll(timer.incident_id)
        )
        if done and not polling:
            self._close(timer, now, TimerStatus.FIRED)
            return "fired"
        if polling:
            assert tracker is not None
            again = now + tracker.poll_every
        else:
            doublings = min(max(timer.attempts - 1, 0), 8)  # 10 s · 2⁸ is past the cap already
            again = now + min(SETUP_RETRY * 2**doublings, SETUP_RETRY_MOST)
        with self.units() as uow:
            uow.timers.postpone(timer.id, self.owner, again)
            uow.commit()
        return "polling" if polling else "retrying"

    def _announce(
        self,
        timer: ClaimedTimer,
        lease: Lease,
        view: IncidentView,
        now: datetime,
        deadline: Deadline,
    ) -> Delivery:
        """Say it once; returns who it reached.

        A holder before this one (``attempts`` > 1) may have said it and died before noting it:
        its message carries the timer's tag, so look for it before saying it again. Saying it
        starts from a kept claim (``Lease.keep``: LeaseLost if another replica took the timer
        meanwhile).
        """
        if timer.posted is not None:
            return Delivery(Reach.EARLIER, timer.posted)
        tag = f"{timer.incident_id}:{timer.key}"
        if timer.attempts > 1 and (found := self.announcer.already_said(view, tag)):
            return Delivery(Reach.EARLIER, found)
        lease.keep()
        match timer.purpose:
            case Purpose.DUE:
                return self.announcer.overdue(view, deadline, now, tag)
            case Purpose.ESCALATE:
                assert deadline.next_escalation is not None
                escalation = deadline.next_escalation
                return self.announcer.escalate(view, deadline, escalation, now, tag)
            case Purpose.REMINDER:
                return self.announcer.remind(view, deadline, now, tag)
            case Purpose.SETUP | Purpose.TRACKER | Purpose.TELL | Purpose.PAGE | Purpose.DIGEST:
                raise AssertionError("a set-up timer is not a deadline's: it says nothing")

    def _settle(
        self, timer: ClaimedTimer, deadline: Deadline, now: datetime, said: Delivery
    ) -> str:
        """Record what the firing owes the timeline in the same transaction that closes the
        timer, so a replica that lost the timer's lease records nothing (LeaseLost)."""
        entry = self._entry(timer, deadline, now, said)
        status = TimerStatus.FIRED if said.delivered else TimerStatus.FAILED
        with self.units() as uow:
            changed = self.service.decide(uow, timer.incident_id, entry) if entry else None
            if not uow.timers.finish(timer.id, self.owner, now, status, posted=said.reference):
                raise LeaseLost(timer.key)
            if changed is not None:
                uow.incidents.append(timer.incident_id, changed.event, changed.incident)
            uow.commit()
        if not said.delivered:
            self._undelivered(timer, said)
        if changed is not None:
            self._after_record(timer.incident_id)
        return "fired" if said.delivered else "undelivered"

    def _undelivered(self, timer: ClaimedTimer, said: Delivery) -> None:
        log.error(
            "a deadline notice reached nobody: %s",
            "; ".join(said.refused) or "no one to tell",
            extra={"incident_id": timer.incident_id, "timer": timer.key},
        )

    def _after_record(self, incident_id: int) -> None:
        if self.on_recorded is None:
            return
        try:  # the firing is done and recorded: what follows must not make it a failure
            self.on_recorded(incident_id)
        except Exception:
            log.exception("after a timer's record", extra={"incident_id": incident_id})

    def _entry(
        self, timer: ClaimedTimer, deadline: Deadline, now: datetime, said: Delivery
    ) -> Event | None:
        """The timeline entry of the firing: the miss, the escalation, or a reminder that
        reached nobody (a reminder that reached someone is not recorded)."""
        extra = {"deadline": deadline.key, "reached": str(said.reach)}
        if not said.delivered:
            extra["undelivered"] = "; ".join(said.refused)[:500] or "no one to tell"
        what = deadline.kind.description
        match timer.purpose:
            case Purpose.DUE:
                late = durations.compact(now - deadline.due_at) if now > deadline.due_at else "0s"
                extra |= {"due_at": deadline.due_at.isoformat(), "announced_late_by": late}
                return self.service.event(EventKind.DEADLINE_MISSED, BOT, text=what, extra=extra)
            case Purpose.ESCALATE:
                assert deadline.next_escalation is not None
                step = deadline.next_escalation
                extra |= {"step": str(step.step), "rung": str(step.rung)}
                return self.service.event(EventKind.DEADLINE_ESCALATED, BOT, text=what, extra=extra)
            case Purpose.REMINDER:
                if said.delivered:
                    return None
                extra["notice"] = "reminder"
                return self.service.event(EventKind.NOTICE_UNDELIVERED, BOT, text=what, extra=extra)
            case Purpose.SETUP | Purpose.TRACKER | Purpose.TELL | Purpose.PAGE | Purpose.DIGEST:
                return None

    def _close(self, timer: ClaimedTimer, now: datetime, status: TimerStatus) -> None:
        with self.units() as uow:
            uow.timers.finish(timer.id, self.owner, now, status)
            uow.commit()


def _one_each(notices: list[_Said]) -> tuple[list[_Said], list[_Said]]:
    """The notices to record together (at most one per incident, ``RECORDED_TOGETHER`` in all)
    and the rest, in the order they came."""
    together: list[_Said] = []
    rest: list[_Said] = []
    incidents: set[int] = set()
    for notice in notices:
        if notice.timer.incident_id in incidents or len(together) >= RECORDED_TOGETHER:
            rest.append(notice)
        else:
            incidents.add(notice.timer.incident_id)
            together.append(notice)
    return together, rest


def _deadline(view: IncidentView, timer: ClaimedTimer) -> Deadline | None:
    return next((d for d in view.deadlines if d.key == timer.deadline_key), None)
