"""A follow-up edited, reassigned or moved after it was filed: the team works in the tracker,
so its issue must say what the follow-up now says (title, body, due date).
"""

from __future__ import annotations

from datetime import timedelta

from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient
from tests.adapters.slack.test_follow_ups import declared, filing_bot, github  # noqa: F401


def test_an_edited_follow_up_is_edited_in_its_issue(
    filing_bot: BotClient,  # noqa: F811
    github: GitHubApiStub,  # noqa: F811
) -> None:
    bot = filing_bot
    channel = declared(bot)
    bot.command("follow-up add retries to the payment client due 14d", channel=channel)
    assert bot.runtime.work.wait_idle()
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "add retries to the payment client"

    bot.command("follow-up 1 edit idempotent retries with a budget", channel=channel)
    bot.command("follow-up 1 owner <@U0BOB|bob>", channel=channel)
    bot.command("follow-up 1 due 30d", channel=channel)
    assert bot.runtime.work.wait_idle()
    # Changes made while another sync held the incident are the tracker timer's, after its grace.
    later = bot.runtime.service.clock() + timedelta(minutes=1)
    bot.runtime.runner.tick(later)
    bot.runtime.runner.tick(later)
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.what == "idempotent retries with a budget"
    [issue] = github.issues("acme/checkout")
    due = f"Due {follow_up.due_at:%Y-%m-%d}"
    assert (issue["title"], due in issue["body"], "Owner in Slack: bob" in issue["body"]) == (
        "idempotent retries with a budget",
        True,
        True,
    ), f"the issue still says: {issue['title']!r} / {issue['body']!r}"
