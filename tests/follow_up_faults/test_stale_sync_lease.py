"""A replica died holding an incident's sync lease (5 minutes): a follow-up added meanwhile
is filed once the lease is over, by the tracker timer, once. (A check; it passes.)
"""

from __future__ import annotations

from datetime import timedelta

from bot.services.follow_up_lease import SYNC_KEY
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.timers import TimerRunner
from tests.services.conftest import FixedClock, declare
from tests.services.test_follow_ups import (  # noqa: F401
    FakeTracker,
    filing,
    follow_ups,
    tracker,
)
from tests.services.timer_support import Recorder


def test_a_dead_holders_lease_holds_filing_back_five_minutes_at_most(
    follow_ups: FollowUps,  # noqa: F811
    incidents: IncidentService,
    units: UnitsOfWork,
    now: FixedClock,
    tracker: FakeTracker,  # noqa: F811
) -> None:
    incident = declare(incidents)
    with units() as uow:  # the dead replica's lease, taken just now
        uow.facts.put(f"{SYNC_KEY}:{incident}", f"deadbeef {now.now.isoformat()}", now.now)
        uow.commit()
    follow_ups.add("U0ALICE", incident, "add retries")
    assert follow_ups.sync(incident) is False  # what the Slack request tries: held
    runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
    start = now.now
    filed_at = None
    for seconds in range(0, 15 * 60, 10):
        now.now = start + timedelta(seconds=seconds)
        runner.tick(now.now)
        if incidents.get(incident).follow_ups[0].link is not None:
            filed_at = now.now - start
            break
    assert filed_at is not None and filed_at <= timedelta(minutes=10), filed_at
    assert [c for c in tracker.calls if c == "open"] == ["open"]
