"""GitHub answers 404 Not Found, not 403, when the token cannot see a private repository
(its access was removed, the app uninstalled from it, a fine-grained token rotated without
it): docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api ("404 Not Found
for an existing resource ... the resource is private and you do not have access").
FollowUps._about_the_issue reads every 404 on a filed issue as "deleted there": a follow-up
done here is then recorded as closed there (its issue is never closed, even once access is
back), and every open one is told "Its issue no longer exists there" (one message each).
"""

from __future__ import annotations

from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient, text_of
from tests.adapters.slack.test_follow_ups import declared, filing_bot, github  # noqa: F401


def test_losing_access_to_the_repository_is_not_every_issue_deleted(
    filing_bot: BotClient,  # noqa: F811
    github: GitHubApiStub,  # noqa: F811
) -> None:
    bot = filing_bot
    channel = declared(bot)
    for what in ("add retries", "alert on the budget", "load test checkout"):
        bot.command(f"follow-up add {what}", channel=channel)
        assert bot.runtime.work.wait_idle()
    assert len(github.issues("acme/checkout")) == 3

    hidden = github.repos.pop("acme/checkout")  # the token no longer sees it: 404 everywhere
    bot.command("follow-up 1 done", channel=channel)
    assert bot.runtime.work.wait_idle()
    github.repos["acme/checkout"] = hidden  # access given back
    bot.command("follow-up 2 due 30d", channel=channel)  # anything that syncs again
    assert bot.runtime.work.wait_idle()

    said = [text_of(m) for m in bot.slack.messages(channel)]
    told_gone = [s for s in said if "no longer exists" in s]
    first = bot.runtime.service.get(1).follow_ups[0]
    assert (hidden[1]["state"], first.closed_there, len(told_gone)) == ("closed", True, 0), (
        f"issue #1 is {hidden[1]['state']} in GitHub, the bot believes it closed there: "
        f"{first.closed_there}; told 'no longer exists' {len(told_gone)} times"
    )
