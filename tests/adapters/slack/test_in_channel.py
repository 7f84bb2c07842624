"""Running an incident from its channel: people, severity, lifecycle, notes and read-outs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.db.incidents import Incidents
from bot.core.model import EventKind
from tests.adapters.slack.conftest import (
    GENERAL,
    BotClient,
    assert_valid_block_kit,
    on_the_card,
    text_of,
)


@pytest.fixture
def channel(bot: BotClient) -> str:
    """A declared Sev1 whose channel, card and announcement are in place."""
    sent = bot.command("sev1 checkout is returning 500s")
    bot.reply(sent)
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    # The card, the rollback rule's advice (no deploy: escalate), the Sev1 first action.
    bot.slack.wait_for(
        "chat.postMessage",
        count=OPENING_MESSAGES,
        predicate=lambda call: call.params.get("channel") == channel,
    )
    return channel


OPENING_MESSAGES = 3  # what a new Sev1 channel holds before anyone types


def card(bot: BotClient, channel: str) -> str:
    """The pinned card as it reads now (after every chat.update)."""
    return text_of(bot.slack.messages(channel)[0])


def last_in(bot: BotClient, channel: str) -> str:
    return text_of(bot.slack.messages(channel)[-1])


def updated(bot: BotClient, channel: str, count: int) -> None:
    """Wait for the ``count``-th change: its card update and its message in the channel."""
    bot.slack.wait_for("chat.update", count=count, predicate=on_the_card)
    bot.slack.wait_for(
        "chat.postMessage",
        count=count + OPENING_MESSAGES,
        predicate=lambda call: call.params.get("channel") == channel,
    )


def test_commander_and_a_responder_assemble_the_team(bot: BotClient, channel: str) -> None:
    bot.command("ic <@U0BOB|bob>", channel=channel)
    updated(bot, channel, 1)
    assert "<@U0BOB> the incident commander" in last_in(bot, channel)
    bot.command("ack", user="U0CAROL", channel=channel)
    updated(bot, channel, 2)
    now_reads = card(bot, channel)
    assert "*Commander*\\n<@U0BOB>" in now_reads
    assert ":white_check_mark: Incident team assembled" in now_reads
    assert "<@U0CAROL> is responding" in last_in(bot, channel)


def test_the_card_buttons_work_like_the_commands(bot: BotClient, channel: str) -> None:
    incident = "1"
    bot.click("incident.ack", incident, user="U0BOB", channel=channel)
    updated(bot, channel, 1)
    assert "<@U0BOB> is responding" in last_in(bot, channel)
    bot.click("incident.mitigated", incident, channel=channel)
    updated(bot, channel, 2)
    assert "*State*\\nMitigated" in card(bot, channel)
    bot.click("incident.resolve", incident, channel=channel)
    updated(bot, channel, 3)
    assert "incident.reopen" in card(bot, channel)
    assert "Post-mortem published: due" in card(bot, channel)


def test_severity_change_asks_for_confirmation_then_recomputes(
    bot: BotClient, channel: str
) -> None:
    sent = bot.command("sev2", channel=channel)
    confirm = bot.reply(sent)
    [button] = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == ("incident.severity", "1:sev2:sev1:0")
    assert bot.slack.calls_to("chat.update", on_the_card) == []  # nothing changes before the click
    bot.click(button["action_id"], button["value"], channel=channel)
    updated(bot, channel, 1)
    assert "Sev2 · Incident 1" in card(bot, channel)
    assert "On-call engineer responded: due" in card(bot, channel)
    assert "downgraded the incident from Sev1 to Sev2" in last_in(bot, channel)


def test_a_move_the_state_forbids_is_refused_with_the_allowed_ones(
    bot: BotClient, channel: str
) -> None:
    bot.command("resolve", channel=channel)
    updated(bot, channel, 1)
    reply = bot.reply(bot.command("mitigated", channel=channel))
    assert "a resolved incident cannot mitigate; it can: reopen, close" in reply["text"]
    assert len(bot.slack.calls_to("chat.update", on_the_card)) == 1


def test_services_notes_and_roles_are_recorded(bot: BotClient, channel: str) -> None:
    bot.command("service search, checkout", channel=channel)
    bot.command("note rolled back <!here> to v41 & watching", channel=channel)
    bot.command("role comms <@U0CAROL>", channel=channel)
    for said in ("set the affected services", "noted:", "the role *comms*"):
        bot.slack.wait_for(
            "chat.postMessage",
            predicate=lambda call, said=said: said in str(call.params.get("text")),
        )
    with bot.runtime.sessions() as session:
        events = Incidents(session).timeline.events(1)
    recorded = {e.kind: e for e in events}  # the last of each kind; commands land in any order
    assert recorded[EventKind.SERVICES_CHANGED].extra["services"] == "search,checkout"
    assert recorded[EventKind.NOTE_ADDED].text == "rolled back <!here> to v41 & watching"
    assert (recorded[EventKind.ROLE_ASSIGNED].text, recorded[EventKind.ROLE_ASSIGNED].subject) == (
        "comms",
        "U0CAROL",
    )
    notes = [m for m in bot.slack.messages(channel) if "noted" in text_of(m)]
    assert "rolled back @here to v41 &amp; watching" in text_of(notes[0])  # notifying no one
    assert "<!here>" not in text_of(notes[0])


def test_unknown_services_are_named_with_the_known_ones(bot: BotClient, channel: str) -> None:
    reply = bot.reply(bot.command("service chekout", channel=channel))
    assert "Not in the service catalog: chekout" in reply["text"]
    assert "Known services: accounts, checkout, search." in reply["text"]
    deploy = bot.reply(bot.command("deploy chekout v42", channel=channel))
    assert "`chekout` is not in the service catalog." in deploy["text"]
    assert "Known services: accounts, checkout, search." in deploy["text"]


def test_status_timeline_list_and_help(bot: BotClient, channel: str) -> None:
    status = bot.reply(bot.command("status", channel=channel))
    assert "Sev1 · Incident 1" in text_of(status)
    timeline = bot.reply(bot.command("timeline", channel=channel))
    assert "declared a Sev1: checkout is returning 500s" in text_of(timeline)
    listing = bot.reply(bot.command("list"))
    assert f"<#{channel}>" in text_of(listing)
    assert "next: incident team assembled due" in text_of(listing)
    helped = bot.command("help").json()
    # Angle brackets escaped, or Slack would take `<title>` for a link.
    assert "`/incident sev1 &lt;title&gt;`: declare a Sev1" in text_of(helped)
    assert_valid_block_kit(bot.slack)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "is not an /incident command"),
        ("ic bob", "is not a mention of a person"),
        ("ack please", "takes nothing after it"),
        ("role <@U0BOB>", "give a role and a person"),
    ],
)
def test_bad_input_gets_an_ephemeral_answer_in_the_ack(
    bot: BotClient, text: str, expected: str
) -> None:
    answer: dict[str, Any] = bot.command(text).json()
    assert answer["response_type"] == "ephemeral"
    assert expected in answer["text"]


def test_incident_commands_outside_an_incident_channel_say_where_to_go(bot: BotClient) -> None:
    reply = bot.reply(bot.command("ack", channel=GENERAL))
    assert "`/incident &lt;number&gt; ack`" in reply["text"]
    assert "`/incident list`" in reply["text"]
    assert "in the incident's channel" in reply["text"]


def test_a_note_with_braces_and_markup_is_recorded_verbatim(bot: BotClient, channel: str) -> None:
    bot.command("note saw {who} and {0} in the logs <@U0BOB> &lt;b&gt;", channel=channel)
    [posted] = bot.slack.wait_for(
        "chat.postMessage", predicate=lambda call: "noted:" in str(call.params.get("text"))
    )
    said = str(posted.params.get("text"))
    # {who} kept; the mention shown as a mention, what was typed as "<b>" as typed
    assert said.endswith("noted: saw {who} and {0} in the logs <@U0BOB> &lt;b&gt;")
    with bot.runtime.sessions() as session:
        noted = [e for e in Incidents(session).timeline.events(1) if e.kind is EventKind.NOTE_ADDED]
    assert noted[0].text == "saw {who} and {0} in the logs <@U0BOB> &lt;b&gt;"
