"""r18b: an edit whose GitHub PATCH was made but whose answer was lost (a 502 from a gateway
after GitHub did it) leaves every later edit's title unwritten: the bot takes the title it
wrote itself for one the team changed. The body follows each edit; the title stays."""

from __future__ import annotations

from datetime import timedelta

from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient
from tests.adapters.slack.test_follow_ups import declared


def _tick_for(bot: BotClient, minutes: int) -> None:
    start = bot.runtime.service.clock()
    for m in range(1, minutes + 1):
        bot.runtime.runner.tick(start + timedelta(minutes=m))


def test_title_follows_edits_after_a_lost_answer(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = declared(bot)
    bot.command("follow-up add retries to the payment client", channel=channel)
    assert bot.runtime.work.wait_idle()
    github.lose_answer("PATCH", r"/repos/acme/checkout/issues/1", 502, {"message": "Server Error"})
    bot.command("follow-up 1 edit add retries with jitter", channel=channel)
    assert bot.runtime.work.wait_idle()
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "add retries with jitter"  # made, though the answer was lost
    # the person edits again before the tracker timer tried the lost one again
    bot.command("follow-up 1 edit add retries with jitter and a retry budget", channel=channel)
    assert bot.runtime.work.wait_idle()
    _tick_for(bot, 20)
    bot.command("follow-up 1 edit add retries with a retry budget", channel=channel)
    assert bot.runtime.work.wait_idle()
    _tick_for(bot, 20)
    [issue] = github.issues("acme/checkout")
    assert "add retries with a retry budget" in issue["body"]
    assert issue["title"] == "add retries with a retry budget", issue["title"]
