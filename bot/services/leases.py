"""A timer firing's claim on its timer, kept alive while the firing waits, or given up.

A replica claims a due timer for a lease. Before anything is posted the claim is renewed, and a
wait the lease would not outlast (Slack's Retry-After, a reconnection's backoff) renews it
first. A renewal is a conditional update: when another replica took the timer over, or it is
finished, the claim is lost and the firing posts nothing (``LeaseLost``).

The waits happen deep in adapters that know nothing of timers, so the firing's lease is set for
its context (``holding``), and an adapter about to wait or send asks ``before_wait`` and
``before_send``; outside a firing both say yes at once.

A deadline's timer, once claimed, is changed by nobody but its holder until the lease runs out
(another replica claims only expired leases; deadlines are re-planned by their pending timers
only). So before a send its claim is renewed only when less than three quarters of the lease
are left, or after a wait: in a burst, a firing asks the database nothing between reading its
incident and recording what it said. This holds while replicas' clocks differ by less than a
quarter of a lease. Any other timer (owed work, which ``done`` may finish whoever holds it) is
renewed before every send.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from bot.services.clock import Stopwatch
from bot.services.ports import UnitsOfWork

# A wait that ends this close to the end of the claim renews it first: the send after the wait
# asks the database once more, and that takes time too.
AHEAD = timedelta(seconds=1)


class LeaseLost(RuntimeError):
    """Another replica took the timer over (or it is finished); this one must not post or record
    its firing."""


class Lease:
    """``owner``'s claim on timer ``timer_id``, taken for ``length`` as of ``claimed_at``.

    ``claimed_at`` is the tick's time (injected, UTC) and ``started`` the stopwatch's reading at
    it; the lease's clock is that time moved on by the stopwatch, since what passes during a
    firing (queueing behind other firings, waits on Slack) is real.
    """

    def __init__(
        self,
        units: UnitsOfWork,
        timer_id: int,
        owner: str,
        length: timedelta,
        claimed_at: datetime,
        stopwatch: Stopwatch,
        started: float,
        alone: bool = False,
    ) -> None:
        self.units = units
        self.timer_id = timer_id
        self.owner = owner
        self.length = length
        self.until = claimed_at + length
        self.lost = False
        self._claimed_at = claimed_at
        self._stopwatch = stopwatch
        self._started = started
        self.alone = alone  # nobody but its holder changes the timer while the lease lasts
        self._waited = False  # a wait since the claim was last asked: the next send asks again

    def now(self) -> datetime:
        return self._claimed_at + timedelta(seconds=self._stopwatch() - self._started)

    def renew(self, wait: timedelta = timedelta(0)) -> None:
        """Hold the claim through ``wait`` and a whole lease after it; LeaseLost if it is no
        longer this owner's."""
        if self.lost:
            raise LeaseLost(f"timer {self.timer_id}")
        until = self.now() + wait + self.length
        with self.units() as uow:
            kept = uow.timers.renew(self.timer_id, self.owner, until)
            uow.commit()
        if not kept:
            self.lost = True
            raise LeaseLost(f"timer {self.timer_id}")
        self.until = until
        self._waited = False

    def keep(self) -> None:
        """Before a send: make sure the claim is still this owner's (LeaseLost if not).

        A timer held ``alone`` with more than three quarters of its lease left, and no wait
        since its claim was last asked, is: nobody else may have taken it, nor will before the
        send (at most the Slack client's timeout, half a lease) and its record are done.
        Otherwise the claim is renewed,
        which asks the database (after a wait, always: a replica whose clock runs ahead, or
        a pause the stopwatch did not see, may have taken it over meanwhile)."""
        if self.lost:
            raise LeaseLost(f"timer {self.timer_id}")
        if not self.alone or self._waited or self.now() + self.length * 3 / 4 > self.until:
            self.renew()

    def cover(self, wait: timedelta) -> None:
        """Make the claim outlast a wait of ``wait`` from now, renewing it only if it would not;
        LeaseLost if that renewal finds it lost."""
        if self.lost:
            raise LeaseLost(f"timer {self.timer_id}")
        if self.now() + wait + AHEAD > self.until:
            self.renew(wait)
        self._waited = True


_held: ContextVar[Lease | None] = ContextVar("held_lease", default=None)


@contextmanager
def holding(lease: Lease) -> Iterator[Lease]:
    """Within this block, adapters waiting or sending on its behalf ask ``lease`` first."""
    token = _held.set(lease)
    try:
        yield lease
    finally:
        _held.reset(token)


def before_wait(seconds: float) -> bool:
    """For an adapter about to wait ``seconds``: keeps the firing's claim through the wait.
    False when the claim is lost: the wait is pointless and nothing may be sent after it."""
    lease = _held.get()
    if lease is None:
        return True
    try:
        lease.cover(timedelta(seconds=seconds))
    except LeaseLost:
        return False
    return True


def before_send() -> bool:
    """For an adapter about to send what cannot be taken back (a post), first or after a wait:
    keeps the firing's claim (``Lease.keep``). False when it is lost: do not send."""
    lease = _held.get()
    if lease is None:
        return True
    try:
        lease.keep()
    except LeaseLost:
        return False
    return True
