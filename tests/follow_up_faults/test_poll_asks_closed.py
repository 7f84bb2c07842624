"""every poll asks the tracker about every follow-up ever filed, also those closed here and
there long ago: with one follow-up still open, each poll (every TRACKER_POLL_SECONDS, for as long
as it stays open: weeks) GETs all the incident's issues. 20 incidents x 30 closed follow-ups at
4 polls an hour is 2,400 needless requests an hour against GitHub's 5,000.
"""

from __future__ import annotations

from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker


def test_a_poll_asks_only_about_issues_it_may_still_have_to_change(incidents, filing) -> None:
    tracker = FakeTracker()
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"github": tracker})
    incident = declare(incidents)
    for n in range(30):
        follow_ups.add("U0ALICE", incident, f"task {n}", "U0BOB")
    follow_ups.add("U0ALICE", incident, "the one still open", "U0BOB")
    follow_ups.sync(incident)
    for n in range(1, 31):
        follow_ups.done("U0BOB", incident, n)
    follow_ups.sync(incident)  # closes the 30 issues there

    asked = len(tracker.calls)
    follow_ups.sync(incident)  # a poll
    assert tracker.calls[asked:] == ["get acme/checkout#31"]
