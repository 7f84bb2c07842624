"""r18b: a follow-up edited twice in quick succession (the second edit lands while the bot is
still writing the first to GitHub) leaves the issue's title at the first edit for good: the
bot wrote the title but, since the follow-up changed meanwhile, did not note that it did, so
next time it takes the title it wrote for one the team changed, and leaves it."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.trackers.github import GitHubIssues
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.trackers import NewIssue
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat


def test_second_edit_during_the_first_update(units, filing, now) -> None:  # type: ignore[no-untyped-def]
    github = GitHubApiStub().start()
    github.add_repo("acme/checkout")
    try:
        meanwhile: list = []

        class Racing(GitHubIssues):
            def update(self, key: str, issue: NewIssue) -> None:
                super().update(key, issue)
                while meanwhile:
                    meanwhile.pop()()  # another request: the next edit, typed in Slack

        tracker = Racing(github.token, github.url)
        service = IncidentService(units, filing.policies, now)
        follow_ups = FollowUps(service, Access(FakeChat(), None, None), filing, {"github": tracker})
        incident = declare(service)
        follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(days=3))
        follow_ups.sync(incident)
        follow_ups.change("U0ALICE", incident, 1, what="add retries with jitter")
        meanwhile.append(
            lambda: follow_ups.change("U0ALICE", incident, 1, what="add retries with a budget")
        )
        follow_ups.sync(incident)
        follow_ups.sync(incident)
        follow_ups.sync(incident)
        [issue] = github.issues("acme/checkout")
        assert "add retries with a budget" in issue["body"]
        assert issue["title"] == "add retries with a budget", issue["title"]
    finally:
        github.stop()
