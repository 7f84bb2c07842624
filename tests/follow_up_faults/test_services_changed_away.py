"""once the incident's services no longer file anywhere (checkout -> search), its issues
already filed are neither closed by the timer nor polled: `_owe_tracker` and `still_to_poll`
both ask `destination(view)` (the services' tracker now), not the tracker each follow-up was
filed in. The request's own sync is the only chance; if the tracker blips then, the issue stays
open for good; and an issue closed on GitHub without a webhook is never noticed.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.follow_ups import FollowUpState
from bot.core.model import EventKind
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker
from tests.services.timer_support import Recorder


def setup(incidents, filing, units, now):
    tracker = FakeTracker()
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})
    runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
    incident = declare(incidents)  # checkout: files in acme/checkout
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")
    assert follow_ups.sync(incident)
    now.now = T0 + timedelta(minutes=1)
    runner.tick(now.now)  # the tracker timer: polling from now on, every 15 minutes
    incidents.record(incident, EventKind.SERVICES_CHANGED, "U0ALICE", extra={"services": "search"})
    now.now = T0 + timedelta(minutes=17)
    runner.tick(now.now)  # the next poll
    return tracker, follow_ups, runner, incident


def tick_a_day(runner, now) -> None:
    for minutes in (20, 40, 60, 120, 24 * 60):
        now.now = T0 + timedelta(minutes=minutes)
        runner.tick(now.now)


def test_done_here_while_the_tracker_blips_is_closed_there_later(
    incidents, filing, units, now
) -> None:
    tracker, follow_ups, runner, incident = setup(incidents, filing, units, now)
    follow_ups.done("U0BOB", incident, 1)
    tracker.down = 1
    assert follow_ups.sync(incident) is False  # the request's own try
    tick_a_day(runner, now)
    assert tracker.issues["acme/checkout#1"][1] is FollowUpState.DONE, tracker.calls


def test_closed_there_without_a_webhook_is_noticed_by_polling(
    incidents, filing, units, now
) -> None:
    tracker, _follow_ups, runner, incident = setup(incidents, filing, units, now)
    tracker.close("acme/checkout#2", FollowUpState.DONE)  # on github.com; the webhook is lost
    tick_a_day(runner, now)
    assert incidents.get(incident).follow_ups[1].state is FollowUpState.DONE, " | ".join(
        tracker.calls
    )
