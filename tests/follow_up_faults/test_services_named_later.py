"""follow-ups added before the incident named a service that files in a tracker are never
filed when the service is named (the tracker timer is armed only by a follow-up's own entries):
a Sev1 declared on `search` (files nowhere), follow-up added, then `/incident services checkout`
(files in acme/checkout): a day of ticks files nothing.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.model import EventKind
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker
from tests.services.timer_support import Recorder


def test_follow_ups_are_filed_once_a_filing_service_is_named(incidents, filing, now, units) -> None:
    tracker = FakeTracker()
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})
    runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
    incident = declare(incidents, services=("search",))
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    incidents.record(
        incident, EventKind.SERVICES_CHANGED, "U0ALICE", extra={"services": "checkout"}
    )
    for minutes in (1, 5, 30, 60 * 24):
        now.now = T0 + timedelta(minutes=minutes)
        runner.tick(now.now)
    assert incidents.get(incident).follow_ups[0].link is not None, f"calls: {tracker.calls}"
