"""a token that expired (GitHub 401 "Bad credentials") is recorded as a lasting refusal of
each follow-up, and once the token is renewed nothing files them: the tracker timer has fired,
and each follow-up stays refused until someone edits it. A tracker-wide refusal (credentials,
the repository gone/renamed) is the tracker being unusable, not the follow-up being refused.
"""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.trackers.github import GitHubIssues
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.timer_support import Recorder


def test_follow_ups_refused_for_an_expired_token_are_filed_once_it_is_renewed(
    incidents,
    filing,
    now,
    units,
) -> None:
    stub = GitHubApiStub().start()
    stub.add_repo("acme/checkout")
    try:
        expired = GitHubIssues("ghp_expired", stub.url)
        follow_ups = FollowUps(
            incidents, Access(FakeChat(), None, None), filing, {"github": expired}
        )
        incident = declare(incidents)
        follow_ups.add("U0ALICE", incident, "add retries", "U0BOB")
        follow_ups.add("U0ALICE", incident, "alert on budget", "U0BOB")
        follow_ups.sync(incident)  # 401 Bad credentials
        assert "401" in incidents.get(incident).follow_ups[0].refused  # said once, for the tracker

        # the token is renewed (settings changed, pods restarted)
        renewed = GitHubIssues(stub.token, stub.url)
        follow_ups = FollowUps(
            incidents, Access(FakeChat(), None, None), filing, {"github": renewed}
        )
        runner = TimerRunner(units, incidents, Recorder(), tracker=follow_ups)
        for hours in (1, 2, 6, 24, 72):
            now.now = T0 + timedelta(hours=hours)
            runner.tick(now.now)

        assert len(stub.issues("acme/checkout")) == 2, "never filed after the token was renewed"
    finally:
        stub.stop()
