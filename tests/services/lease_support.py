"""What the lease tests share: a stopwatch the test moves, a pager that takes a while, a
replica's timer runner, and the Sev1 assemble deadline's moments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.model import EventKind
from bot.core.timers import MISSED_AFTER
from bot.playbooks.loader import Playbooks
from bot.services.announcer import DeadlineAnnouncer
from bot.services.incidents import IncidentService
from bot.services.pager import Page
from bot.services.ports import UnitsOfWork
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.fakes import FakeChat
from tests.services.signal_fakes import FakeDeadlineWording, FakePager

LEASE = timedelta(seconds=20)
REMINDED = T0 + timedelta(minutes=3)  # sev1: the team-assembled reminder
DUE = T0 + timedelta(minutes=5) + MISSED_AFTER  # ... and its overdue notice
CHANNEL = "CINC1"
OVERDUE = "overdue: assemble@1"


@dataclass
class Stopwatch:
    seconds: float = 1000.0

    def __call__(self) -> float:
        return self.seconds


@dataclass
class SlowPager(FakePager):
    """Pages, running ``meanwhile`` as if paging took a while."""

    meanwhile: list[Callable[[], None]] = field(default_factory=list)

    def trigger(self, page: Page) -> bool:
        for call in self.meanwhile:
            call()
        return super().trigger(page)


def replica(
    owner: str,
    units: UnitsOfWork,
    incidents: IncidentService,
    chat: FakeChat,
    paged: Playbooks,
    pager: SlowPager,
    stopwatch: Stopwatch,
) -> TimerRunner:
    announcer = DeadlineAnnouncer(chat, FakeDeadlineWording(), paged, pager, None)
    return TimerRunner(
        units, incidents, announcer, owner=owner, lease=LEASE, parallel=1, stopwatch=stopwatch
    )


def misses(incidents: IncidentService) -> int:
    events = incidents.get(1).events
    return sum(e.kind is EventKind.DEADLINE_MISSED for e in events)
