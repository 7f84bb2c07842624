"""A Sev3 whose service files in GitHub, with a token GitHub refuses for good (401 Bad
credentials): what does the team hear, and how often? The follow-ups' refusal is said once
in the channel; the ticket's is retried by the set-up timer.
"""

from __future__ import annotations

from datetime import timedelta

from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient, text_of
from tests.adapters.slack.test_follow_ups import filing_bot, github  # noqa: F401


def test_a_ticket_refused_for_good_is_told_once_and_not_lost(
    filing_bot: BotClient,  # noqa: F811
    github: GitHubApiStub,  # noqa: F811
) -> None:
    bot = filing_bot
    github.token = "rotated"  # the bot's token no longer works: 401 Bad credentials
    reply = bot.reply(bot.command("sev3 checkout receipts show the wrong currency"))
    first = text_of(reply)
    later = bot.runtime.service.clock()
    for _ in range(12):  # an hour of the set-up timer's retries
        later += timedelta(minutes=5)
        bot.runtime.runner.tick(later)
    assert bot.runtime.work.wait_idle()
    everything = [text_of(m) for c in bot.slack.channels for m in bot.slack.messages(c)]
    told = [t for t in everything if "Bad credentials" in t or "401" in t]
    assert "Bad credentials" in first or len(told) == 1, (
        f"the declarer was answered {first!r}; told {len(told)} times since: {told[:3]}"
    )
