"""A request that partly fails: the person hears what was done, what was not, why, and what to
do, never a bare Slack error code that invites them to do it twice."""

from __future__ import annotations

import json

import pytest

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.postmortems import Postmortems
from bot.core.lifecycle import State
from bot.core.model import EventKind
from tests.adapters.slack.conftest import ANNOUNCE, GENERAL, BotClient, on_the_card, text_of

OPENING_MESSAGES = 3  # the card, the rollback rule's advice, the Sev1 first action


@pytest.fixture
def channel(bot: BotClient) -> str:
    """A declared Sev1 whose room is set up, nothing left in flight."""
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    bot.slack.wait_for(
        "chat.postMessage",
        count=OPENING_MESSAGES,
        predicate=lambda call: call.params.get("channel") == channel,
    )
    assert bot.runtime.work.wait_idle()
    return channel


def events(bot: BotClient) -> list[EventKind]:
    with bot.runtime.sessions() as session:
        return [e.kind for e in Incidents(session).timeline.events(1)]


@pytest.mark.parametrize("where", [GENERAL, "the incident's channel"])
def test_a_move_recorded_but_not_posted_says_so_and_what_to_do(
    bot: BotClient, channel: str, where: str
) -> None:
    bot.slack.fail_next("chat.postMessage", "not_in_channel")
    typed_in = channel if where != GENERAL else GENERAL
    reply = bot.reply(bot.command("1 resolve", channel=typed_in))
    text = reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert "Done, and recorded on Sev1 incident 1: checkout is returning 500s" in text
    assert f"Not posted in <#{channel}>: I am not a member of <#{channel}>." in text
    assert "Invite me there (`/invite @incident-bot`)" in text
    assert "No need to do it again" in text
    assert "not_in_channel" not in text
    with bot.runtime.sessions() as session:
        assert Incidents(session).get(1).incident.state is State.RESOLVED


def test_a_status_update_not_posted_says_it_is_recorded(bot: BotClient, channel: str) -> None:
    bot.slack.fail_next("chat.postMessage", "is_archived")
    update = 'update impact="errors" affected=5% action="rolling back" next=30m'
    text = bot.reply(bot.command(f"1 {update}"))["text"]
    assert "Done, and recorded on Sev1 incident 1" in text
    assert f"Not posted in <#{channel}>" in text  # the place that refused it, named
    assert "is archived. Unarchive it, or tell people there by hand." in text
    assert events(bot)[-2:] == [EventKind.STATUS_UPDATE_POSTED, EventKind.STAKEHOLDERS_TOLD]
    announced = [m for m in bot.slack.messages(ANNOUNCE) if "We are aware of errors" in text_of(m)]
    assert [m for m in announced if m.get("thread_ts")]  # stakeholders were told all the same


def test_a_status_update_stakeholders_did_not_get_says_so_and_the_card_too(
    bot: BotClient, channel: str
) -> None:
    bot.slack.refuse_posts_in(ANNOUNCE, "not_in_channel")
    update = 'update impact="errors" affected=5% action="rolling back" next=30m'
    text = bot.reply(bot.command(f"1 {update}"))["text"]
    assert "Your status update is recorded on Sev1 incident 1" in text
    assert "*stakeholders were not told*" in text
    assert f"Not posted in <#{ANNOUNCE}>: I am not a member of <#{ANNOUNCE}>." in text
    assert "the status-update deadline is met once it reaches them" in text
    assert "I keep trying to tell them" in text
    assert events(bot)[-2:] == [EventKind.STATUS_UPDATE_POSTED, EventKind.STAKEHOLDERS_NOT_TOLD]
    card = bot.slack.wait_for("chat.update", predicate=on_the_card)[-1]
    assert "Stakeholders were not told" in json.dumps(card.blocks)
    assert f"Not posted in <#{ANNOUNCE}>" in json.dumps(card.blocks)

    bot.slack.refuse_posts_in(ANNOUNCE, None)  # the bot invited there; the next update tells
    bot.reply(bot.command(f"1 {update}"))
    assert events(bot)[-1] is EventKind.STAKEHOLDERS_TOLD
    cards = bot.slack.wait_for("chat.update", count=2, predicate=on_the_card)
    assert "Stakeholders were not told" not in json.dumps(cards[-1].blocks)


def test_a_draft_kept_but_not_uploaded_says_it_is_kept(bot: BotClient, channel: str) -> None:
    bot.slack.fail_next("files.completeUploadExternal", "not_in_channel")
    text = bot.reply(bot.command("1 postmortem"))["text"]
    assert "The post-mortem draft of Sev1 incident 1" in text
    assert "is written and kept with the incident's record" in text
    assert f"but not uploaded to <#{channel}>: I am not a member of <#{channel}>." in text
    with bot.runtime.sessions() as session:
        drafted = Postmortems(session).get(1)
    assert drafted is not None
    assert drafted.draft is not None and drafted.draft.startswith("# Post-mortem")


def test_a_call_refused_before_anything_was_recorded_says_it_was_not_done(
    bot: BotClient, channel: str
) -> None:
    bot.slack.fail_next("views.open", "missing_scope", extra={"needed": "views:write"})
    text = bot.reply(bot.command("update", channel=channel))["text"]
    assert "Slack refused `views.open`, so it was not done" in text
    assert "The app lacks a Slack permission (`views:write`)" in text
