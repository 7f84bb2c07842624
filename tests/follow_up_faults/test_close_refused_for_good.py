"""a follow-up done here whose issue the tracker would not close (Jira: no transition to
done) is recorded refused and the channel is told to fix the tracker, "then `edit …`, `due …`,
`done` or `wontdo …`"; but every change of a closed follow-up is refused ("done already:
nothing to change"), so once the workflow is fixed nothing ever closes the issue.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.follow_ups import FollowUpState
from bot.services.access import Access
from bot.services.follow_ups import FollowUpClosed, FollowUps
from bot.services.timers import TimerRunner
from bot.services.trackers import TrackerUnavailable
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker
from tests.services.timer_support import Recorder


class NoDoneTransition(FakeTracker):
    fixed: bool = False

    def close(self, key: str, state: FollowUpState) -> None:
        if not self.fixed:
            raise TrackerUnavailable(f"Jira offers no transition of {key} to done", lasting=True)
        super().close(key, state)


def test_an_issue_the_tracker_would_not_close_is_closed_once_it_can_be(
    incidents, filing, units, now
) -> None:
    tracker = NoDoneTransition()
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})
    runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.sync(incident)
    follow_ups.done("U0BOB", incident, 1)
    follow_ups.sync(incident)
    [done] = incidents.get(incident).follow_ups
    assert "no transition" in done.refused

    tracker.fixed = True  # the Jira admin adds the transition
    # what the channel was told to do:
    assert isinstance(follow_ups.done("U0BOB", incident, 1), FollowUpClosed)
    assert isinstance(
        follow_ups.change("U0BOB", incident, 1, what="add retries, twice"), FollowUpClosed
    )
    for hours in (1, 6, 24, 72):
        now.now = T0 + timedelta(hours=hours)
        runner.tick(now.now)
    assert tracker.issues["acme/checkout#1"][1] is FollowUpState.DONE, (
        "the issue stays open for good"
    )
