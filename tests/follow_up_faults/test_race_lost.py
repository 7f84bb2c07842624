"""a follow-up added while the tracker timer is syncing is never filed.

The add re-arms the tracker timer, but ``arm`` leaves a CLAIMED timer as it is; the request's
own sync finds the lease held and returns False; the timer's sync (its view read before the
add) returns True and, with no linked open follow-up left, the timer is closed as fired.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.follow_ups import FollowUpState
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker, tracker_timers
from tests.services.timer_support import Recorder


class HookedTracker(FakeTracker):
    def __init__(self) -> None:
        super().__init__()
        self.while_closing: list = []

    def close(self, key: str, state: FollowUpState) -> None:
        super().close(key, state)
        while self.while_closing:
            self.while_closing.pop()()


def test_a_follow_up_added_while_the_timer_syncs_is_filed(incidents, filing, now, units, sessions):
    tracker = HookedTracker()
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})
    runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    assert follow_ups.sync(incident)  # filed as acme/checkout#1

    follow_ups.done("U0BOB", incident, 1)  # the request's own sync fails: the tracker blips
    tracker.down = 1
    assert follow_ups.sync(incident) is False

    def another_request() -> None:  # what /incident follow-up does: add, then sync
        follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")
        follow_ups.sync(incident)  # the timer holds the lease: False

    tracker.while_closing.append(another_request)
    for minutes in (1, 2, 60, 24 * 60):  # the timer fires, then a day of ticks
        now.now = T0 + timedelta(minutes=minutes)
        runner.tick(now.now)

    second = incidents.get(incident).follow_ups[1]
    assert second.is_open
    assert second.link is not None, (
        f"follow-up 2 never filed; tracker timers: "
        f"{[(t.status, t.fire_at) for t in tracker_timers(sessions)]}; calls {tracker.calls}"
    )
