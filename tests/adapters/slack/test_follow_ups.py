"""Follow-ups typed in Slack, through the real endpoint: added, listed, changed, refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.follow_ups import FollowUpState
from tests.adapters.slack.conftest import GENERAL, BotClient, text_of


@pytest.fixture
def channel(bot: BotClient) -> str:
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def said_in(bot: BotClient, channel: str) -> list[str]:
    assert bot.runtime.work.wait_idle()
    return [text_of(m) for m in bot.slack.messages(channel)]


def test_a_follow_up_is_added_with_its_owner_and_due_date_and_listed(
    bot: BotClient, channel: str
) -> None:
    bot.command(
        "follow-up add retries to <the> payment client <@U0BOB|bob> due 2w", channel=channel
    )
    [added] = [s for s in said_in(bot, channel) if "follow-up 1 of incident 1" in s]
    assert "added follow-up 1 of incident 1: add retries to &lt;the&gt; payment client" in added
    assert "<@U0BOB>" in added
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert (follow_up.owner, follow_up.state) == ("U0BOB", FollowUpState.OPEN)
    assert abs(follow_up.due_at - follow_up.added_at - timedelta(weeks=2)) < timedelta(seconds=5)

    listed = bot.reply(bot.command("1 follow-ups", channel=GENERAL))
    assert listed["response_type"] == "ephemeral"
    assert ":white_circle: *1.* add retries to &lt;the&gt; payment client (<@U0BOB>" in text_of(
        listed
    )


def test_changes_are_told_in_the_channel_and_typed_elsewhere_are_said_where(
    bot: BotClient, channel: str
) -> None:
    bot.command("follow-up alert on the error budget", channel=channel)
    assert bot.runtime.work.wait_idle()
    reply = bot.reply(bot.command("1 follow-up 1 owner <@U0BOB|bob>", channel=GENERAL))
    assert f"Told in <#{channel}>" in reply["text"]
    bot.command("follow-up 1 due 2030-01-31", channel=channel)
    assert bot.runtime.work.wait_idle()
    bot.command("follow-up 1 done", user="U0BOB", channel=channel)
    said = said_in(bot, channel)
    assert any("reassigned follow-up 1" in s for s in said)
    assert any("moved the due date of follow-up 1" in s for s in said)
    assert any("<@U0BOB> marked done follow-up 1" in s for s in said)
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.state is FollowUpState.DONE and follow_up.due_at.year == 2030


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("follow-up", "say what must be done"),
        ("follow-up 1 owner bob", "is not a mention of a person"),
        ("follow-up x <@U0BOB|bob> <@U0CAROL|carol>", "name one owner"),
        ("follow-up 1 wontdo", "say why"),
    ],
)
def test_what_cannot_be_read_is_answered_in_the_ack_with_what_to_type(
    bot: BotClient, channel: str, typed: str, answer: str
) -> None:
    reply = bot.command(typed, channel=channel).json()
    assert reply["response_type"] == "ephemeral"
    assert answer in reply["text"]


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("follow-up 3 done", "has no follow-up 3"),
        ("follow-up x due someday", "`someday` is not a due date"),
        ("follow-up x due 2001-01-01", "is past"),
    ],
)
def test_what_cannot_be_done_is_answered_privately_with_what_to_type(
    bot: BotClient, channel: str, typed: str, answer: str
) -> None:
    reply = bot.reply(bot.command(typed, channel=channel))
    assert reply["response_type"] == "ephemeral"
    assert answer in reply["text"]


def test_a_bystander_may_add_but_not_close_anothers_follow_up(bot: BotClient, channel: str) -> None:
    bot.command("follow-up add retries <@U0BOB|bob>", user="U0MALLORY", channel=channel)
    assert said_in(bot, channel)
    reply = bot.reply(bot.command("follow-up 1 wontdo nah", user="U0MALLORY", channel=channel))
    assert "A follow-up's owner may also mark it done" in reply["text"]
    assert bot.runtime.service.get(1).follow_ups[0].state is FollowUpState.OPEN
