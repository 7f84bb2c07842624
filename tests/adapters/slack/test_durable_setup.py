"""A declaration's room is owed work: whatever Slack, the database or the process does, it is
finished later (by the set-up timer, on any replica), once, and the declarer is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.db.incidents import Incidents
from bot.adapters.slack import channels
from bot.core.model import EventKind, Severity
from tests.adapters.slack.conftest import ANNOUNCE, BotClient, text_of


def later(bot: BotClient, seconds: float = 30) -> list[str]:
    """Tick the bot's timers ``seconds`` from now; the outcomes of the set-up timers."""
    fired = bot.runtime.runner.tick(datetime.now(UTC) + timedelta(seconds=seconds))
    return [f.outcome for f in fired if f.timer.key == "setup"]


def announcements(bot: BotClient) -> list[str]:
    return [text_of(m) for m in bot.slack.messages(ANNOUNCE) if "declared" in text_of(m)]


def test_a_channel_slack_failed_to_create_is_created_later_and_the_declarer_told(
    bot: BotClient,
) -> None:
    bot.slack.answer_next("conversations.create", 500, times=3)  # more than the retries
    reply = bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert "could not create the incident channel" in reply["text"]
    assert "I keep trying" in reply["text"]
    assert bot.runtime.work.wait_idle()
    assert later(bot) == ["fired"]
    with bot.runtime.sessions() as session:
        [incident] = Incidents(session).open()
    assert incident.channel_id is not None
    channel = incident.channel_id
    card = bot.slack.messages(channel)[0]
    assert "Sev1 · Incident 1" in text_of(card)
    state = bot.slack.channel(channel)
    assert card["ts"] in state.pins
    assert "U0PAY1" in state.members  # the owning team, invited
    told = bot.slack.calls_to("chat.postEphemeral")
    assert any("is set up now" in text_of(call.params) for call in told)
    assert len(announcements(bot)) == 1
    assert later(bot, 600) == []  # nothing owed any more


def test_a_declaration_whose_process_died_after_recording_it_is_set_up_once(
    bot: BotClient,
) -> None:
    # As if the process died right after the transaction that recorded the incident.
    bot.runtime.service.declare(
        severity=Severity.SEV1, title="checkout is returning 500s", by="U0ALICE"
    )
    assert later(bot, 5) == []  # the declaring request has its chance first
    assert later(bot) == ["fired"]
    assert later(bot, 600) == []
    assert len(bot.slack.calls_to("conversations.create")) == 1
    [created] = bot.slack.calls_to("conversations.create")
    channel = str(created.response["channel"]["id"])
    cards = [m for m in bot.slack.messages(channel) if "Sev1 · Incident 1" in text_of(m)]
    assert len(cards) == 1
    assert len(announcements(bot)) == 1


def test_a_channel_made_before_the_process_died_is_found_not_made_again(
    bot: BotClient,
) -> None:
    declared = bot.runtime.service.declare(
        severity=Severity.SEV1, title="checkout is returning 500s", by="U0ALICE"
    ).view
    name = channels.name(declared.declared_at, 1, declared.title)
    bot.slack.add_channel("C0MADE", name, members=[bot.slack.identity.bot_user_id])
    assert later(bot) == ["fired"]
    assert bot.slack.calls_to("conversations.create") == []
    with bot.runtime.sessions() as session:
        assert Incidents(session).get(1).channel_id == "C0MADE"


def test_a_sev3_ticket_that_could_not_be_filed_is_filed_later(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", "channel_not_found")  # the triage channel
    reply = bot.reply(bot.command("sev3 typo on the pricing page"))
    assert "I keep trying" in reply["text"]
    assert bot.runtime.work.wait_idle()
    assert later(bot) == ["fired"]
    tickets = [
        m for m in bot.slack.messages("C0TRIAGE") if "typo on the pricing page" in text_of(m)
    ]
    assert len(tickets) == 1


def test_a_sev3_escalated_to_sev1_gets_its_channel(bot: BotClient) -> None:
    reply = bot.reply(bot.command("sev3 typo on the pricing page"))
    assert "ticket INC-1" in reply["text"]
    assert bot.runtime.work.wait_idle()
    assert later(bot) == []  # a ticket and an announcement: set up
    assert bot.runtime.service.get(1).channel_id is None
    bot.runtime.service.record(1, EventKind.SEVERITY_CHANGED, "U0ALICE", severity=Severity.SEV1)
    assert later(bot, 1) == ["fired"]
    view = bot.runtime.service.get(1)
    assert view.channel_id is not None
    assert "Sev1 · Incident 1" in text_of(bot.slack.messages(view.channel_id)[0])


def test_a_channel_a_failed_create_made_after_all_is_the_incidents(bot: BotClient) -> None:
    # Slack answered 500 to conversations.create but made the channel; the retry is told
    # name_taken: the channel the bot just made by that name is the incident's, not a reason
    # to make a second one.
    bot_user = bot.slack.identity.bot_user_id
    today = datetime.now(UTC)
    name = channels.name(today, 1, "checkout is returning 500s")
    bot.slack.add_channel("C0HALF", name, members=[bot_user], creator=bot_user)
    reply = bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert "<#C0HALF>" in reply["text"]
    assert len(bot.slack.calls_to("conversations.create")) == 1
