"""Steering an incident by its number from any channel: `/incident 12 resolve`, the person told
privately where they typed it, the incident's channel (if any) as usual."""

from __future__ import annotations

from typing import Any

from bot.adapters.db.incidents import Incidents
from bot.core.lifecycle import State
from bot.core.model import LIFECYCLE_ACTIONS, EventKind
from tests.adapters.slack.conftest import GENERAL, BotClient, text_of


def declared(bot: BotClient, text: str = "sev1 checkout is returning 500s") -> str | None:
    """Declare from #general; the incident's channel, if it got one."""
    bot.reply(bot.command(text))
    created = bot.slack.calls_to("conversations.create")
    return str(created[0].response["channel"]["id"]) if created else None


def told_in(bot: BotClient, channel: str, said: str) -> None:
    bot.slack.wait_for(
        "chat.postMessage",
        predicate=lambda call: (
            call.params.get("channel") == channel and said in str(call.params.get("text"))
        ),
    )


def state_of(bot: BotClient, incident_id: int = 1) -> tuple[State, list[EventKind]]:
    with bot.runtime.sessions() as session:
        store = Incidents(session)
        return store.get(incident_id).incident.state, [
            e.kind for e in store.timeline.events(incident_id)
        ]


def ephemeral(reply: dict[str, Any]) -> str:
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


def test_an_incident_is_steered_by_its_number_from_another_channel(bot: BotClient) -> None:
    channel = declared(bot)
    assert channel is not None
    acked = ephemeral(bot.reply(bot.command("1 ack", user="U0BOB")))
    assert "Sev1 incident 1: checkout is returning 500s: :raising_hand: <@U0BOB>" in acked
    assert f"Told in <#{channel}>." in acked
    told_in(bot, channel, "<@U0BOB> is responding")
    bot.reply(bot.command("#1 mitigated"))
    told_in(bot, channel, "marked the incident mitigated")
    resolved = ephemeral(bot.reply(bot.command("#1 resolve")))
    assert f"Told in <#{channel}>." in resolved
    closed = ephemeral(bot.reply(bot.command("1 close")))
    assert "closed the incident" in closed
    told_in(bot, channel, "closed the incident")
    state, kinds = state_of(bot)
    assert state is State.CLOSED
    steps = {EventKind.ACKNOWLEDGED, *LIFECYCLE_ACTIONS}
    assert [kind for kind in kinds if kind in steps] == [
        EventKind.ACKNOWLEDGED,
        EventKind.MITIGATED,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    ]


def test_in_its_own_channel_a_numbered_command_is_told_there_only(bot: BotClient) -> None:
    channel = declared(bot)
    assert channel is not None
    noted = bot.command("1 note rolled back", channel=channel)
    told_in(bot, channel, "noted: rolled back")
    assert bot.runtime.work.wait_idle()
    assert bot.slack.responses(noted.response_key) == []


def test_a_severity_change_by_number_asks_first_and_its_button_makes_it(bot: BotClient) -> None:
    channel = declared(bot)
    assert channel is not None
    confirm = bot.reply(bot.command("1 sev2"))
    [button] = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == ("incident.severity", "1:sev2:sev1:0")
    assert state_of(bot)[1][-1] is EventKind.DECLARED  # nothing changes before the click
    bot.click(button["action_id"], button["value"], channel=GENERAL)
    told_in(bot, channel, "downgraded the incident from Sev1 to Sev2")


def test_an_unknown_number_says_what_to_type_instead(bot: BotClient) -> None:
    text = ephemeral(bot.reply(bot.command("99 resolve")))
    assert "There is no incident 99" in text
    assert "`/incident list`" in text


def test_the_list_gives_each_incidents_number(bot: BotClient) -> None:
    declared(bot)
    assert "*#1*" in text_of(bot.reply(bot.command("list")))
    shown = bot.reply(bot.command("1"))
    assert "Sev1 · Incident 1" in text_of(shown)


def test_a_sev3_is_taken_from_declaration_to_close_by_its_number(bot: BotClient) -> None:
    assert declared(bot, "sev3 the receipt shows the wrong currency") is None
    acked = ephemeral(bot.reply(bot.command("1 ack", user="U0BOB")))
    assert "<@U0BOB> is responding" in acked
    assert "It has no channel; `/incident 1 timeline` shows it." in acked
    assert "resolved" in ephemeral(bot.reply(bot.command("1 resolve")))
    assert "closed the incident" in ephemeral(bot.reply(bot.command("1 close")))
    state, kinds = state_of(bot)
    assert state is State.CLOSED
    assert kinds == [
        EventKind.DECLARED,
        EventKind.ACKNOWLEDGED,
        EventKind.RESOLVED,
        EventKind.STAKEHOLDERS_TOLD,  # the resolution reached the announcement channel
        EventKind.CLOSED,
    ]


def test_an_incident_whose_channel_could_not_be_made_is_steered_by_number(
    bot: BotClient,
) -> None:
    bot.slack.answer_next("conversations.create", 500, times=3)  # more than the retries
    reply = bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert "could not create the incident channel" in reply["text"]
    resolved = ephemeral(bot.reply(bot.command("1 resolve")))
    assert "It has no channel" in resolved
    assert state_of(bot)[0] is State.RESOLVED
