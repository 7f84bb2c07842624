"""a follow-up whose issue was deleted in the tracker can never be filed again. The channel
is told "fix the tracker, then `/incident N follow-up M edit …`": editing it asks for the same
deleted key again (404), records another refusal and posts another warning; nothing re-files it
(a new issue, found or opened by its marker) and nothing lets the team unlink it.
"""

from __future__ import annotations

from bot.core.follow_ups import FollowUp
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.test_follow_ups import FakeTracker


def test_doing_what_the_refusal_says_files_the_follow_up_again(incidents, filing) -> None:
    told: list[str] = []

    class News:
        def closed_there(self, view: object, follow_up: FollowUp) -> None:
            pass

        def refused(self, view: object, follow_up: FollowUp) -> None:
            told.append(follow_up.refused)

    tracker = FakeTracker()
    follow_ups = FollowUps(
        incidents, Access(FakeChat(), None, None), filing, {"github": tracker}, news=News()
    )
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
    follow_ups.sync(incident)
    tracker.gone.add("acme/checkout#1")  # someone deleted the issue
    follow_ups.sync(incident)
    assert len(told) == 1

    follow_ups.change("U0BOB", incident, 1, what="add retries to the payment client")  # as told
    follow_ups.sync(incident)

    [follow_up] = incidents.get(incident).follow_ups
    assert len(told) == 1, f"told again: {told}"
    assert follow_up.link is not None and follow_up.link.key != "acme/checkout#1"
