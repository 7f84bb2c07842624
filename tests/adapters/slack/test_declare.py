"""Declaring over real HTTP: channel, people, pinned card, announcement; and what can go wrong."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.tickets import Tickets
from bot.entrypoints.sandbox import signing
from tests.adapters.slack.conftest import (
    ANNOUNCE,
    TRIAGE,
    BotClient,
    assert_valid_block_kit,
    text_of,
)


def test_sev1_opens_a_channel_with_the_team_a_pinned_card_and_an_announcement(
    bot: BotClient,
) -> None:
    sent = bot.command("sev1 checkout is returning 500s")
    assert sent.status == 200
    assert "Declaring a Sev1" in sent.json()["text"]

    done = bot.reply(sent)
    # Stakeholders hear of it as the declarer does; the topic and pin follow, at once.
    bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == ANNOUNCE)
    [pin] = bot.slack.wait_for("pins.add")
    bot.slack.wait_for("conversations.setTopic")
    [create] = bot.slack.calls_to("conversations.create")
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert create.params["name"] == f"inc-{today}-1-checkout-is-returning-500s"
    channel = create.response["channel"]["id"]
    [invite] = bot.slack.calls_to("conversations.invite")
    assert set(invite.params["users"].split(",")) == {"U0ALICE", "U0PAY1", "U0PAY2"}
    [topic] = bot.slack.calls_to("conversations.setTopic")
    assert "Sev1 · checkout is returning 500s" in topic.params["topic"]

    card = bot.slack.messages(channel)[0]
    assert pin.params["timestamp"] == card["ts"]
    rendered = text_of(card)
    assert "Sev1 · Incident 1" in rendered
    assert "Incident team assembled: due" in rendered
    assert "Status update to stakeholders: due" in rendered
    assert "Mitigate, not diagnose" in rendered

    announcement = text_of(bot.slack.messages(ANNOUNCE)[-1])
    assert f"<#{channel}>" in announcement
    assert "<@U0ALICE>" in announcement

    assert f"is declared in <#{channel}>" in done["text"]
    assert done["response_type"] == "ephemeral"
    bot.slack.wait_for(
        "chat.postMessage", count=3, predicate=lambda call: call.params.get("channel") == channel
    )
    said = [text_of(m) for m in bot.slack.messages(channel)]
    assert "escalate to the owning team" in said[1]
    assert "Mitigate, not diagnose." in said[2]
    # The card, the announcement, the rollback advice and the first action.
    assert assert_valid_block_kit(bot.slack) == 4


def test_acknowledged_fast_even_when_slack_is_slow(bot: BotClient) -> None:
    bot.slack.set_latency(0.5)
    started = time.perf_counter()
    sent = bot.command("sev2 search is slow")
    elapsed = time.perf_counter() - started
    assert sent.status == 200
    assert elapsed < 0.4, f"the ack waited for Slack: {elapsed:.3f}s"
    bot.slack.wait_for("pins.add", timeout=15)
    bot.slack.set_latency(0)  # the ack is what this proves: the rest of the work need not crawl


def test_a_taken_channel_name_gets_a_suffix(bot: BotClient) -> None:
    today = datetime.now(UTC).strftime("%Y%m%d")
    bot.slack.add_channel("C0TAKEN", f"inc-{today}-1-db-down")
    bot.command("sev2 db down")
    bot.slack.wait_for("pins.add")
    names = [c.params["name"] for c in bot.slack.calls_to("conversations.create")]
    assert names == [f"inc-{today}-1-db-down", f"inc-{today}-1-db-down-2"]


def test_a_slack_retry_never_opens_a_second_incident(bot: BotClient) -> None:
    first = bot.command("sev1 payments down", trigger_id="trigger-same")
    retry = bot.command("sev1 payments down", trigger_id="trigger-same", retry=1)
    assert (first.status, retry.status) == (200, 200)
    bot.slack.wait_for("pins.add")
    bot.reply(first)
    assert bot.runtime.work.wait_idle()  # all the work both requests set off is done
    assert len(bot.slack.calls_to("conversations.create")) == 1
    with bot.runtime.sessions() as session:
        assert len(Incidents(session).open()) == 1


def test_wrong_signature_and_stale_timestamp_get_401_and_do_nothing(bot: BotClient) -> None:
    assert bot.command("sev1 forged", secret="not-the-secret").status == 401
    stale = int(time.time()) - 6 * 60
    assert bot.command("sev1 replayed", timestamp=stale).status == 401
    body = signing.slash_command_body(
        text="sev1 unsigned",
        user_id="U0ALICE",
        user_name="a",
        channel_id="C0GENERAL",
        channel_name="g",
        team_id="T1",
    )
    status, _, _ = signing.post(
        f"{bot.url}/slack/events",
        body,
        signing.FORM,
        "",
        extra_headers={"X-Slack-Signature": "v0=00"},
    )
    assert status == 401
    assert bot.runtime.work.wait_idle()  # nothing was set off; had it been, it is done
    assert [c.method for c in bot.slack.calls] == ["auth.test"]  # the one made at start-up


def test_a_missing_scope_leaves_the_incident_recorded_and_says_how_to_fix_it(
    bot: BotClient,
) -> None:
    bot.slack.fail_next(
        "conversations.create",
        "missing_scope",
        extra={"needed": "channels:manage", "provided": "chat:write"},
    )
    sent = bot.command("sev1 login broken")
    reply = bot.reply(sent)
    assert "Sev1 incident 1: login broken is declared" in reply["text"]
    assert "could not create the incident channel" in reply["text"]
    assert "The app lacks a Slack permission (`channels:manage`)" in reply["text"]
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert stored.channel_id is None
    assert "login broken" in text_of(bot.slack.messages(ANNOUNCE)[-1])


def test_rate_limits_are_waited_out(bot: BotClient) -> None:
    bot.slack.rate_limit_next("chat.postMessage", retry_after=1)
    bot.command("sev2 queue backlog")
    bot.slack.wait_for("pins.add", timeout=10)
    statuses = [c.status for c in bot.slack.calls_to("chat.postMessage")]
    assert statuses[:2] == [429, 200]


def test_sev3_files_a_ticket_and_opens_no_channel(bot: BotClient) -> None:
    sent = bot.command("sev3 typo on the pricing page")
    reply = bot.reply(sent)
    assert "ticket INC-1" in reply["text"]
    assert bot.slack.calls_to("conversations.create") == []
    assert "Ticket INC-1" in text_of(bot.slack.messages(TRIAGE)[-1])
    with bot.runtime.sessions() as session:
        ticket = Tickets(session).for_incident(1)
    assert ticket is not None
    assert ticket.reference == "INC-1"


def test_hostile_and_overlong_titles_are_escaped_and_fit(bot: BotClient) -> None:
    # As Slack sends what was typed (should_escape): @channel, @bob, "&", a link, and a
    # "<!channel>" typed out by hand, which Slack escapes.
    title = (
        "<!channel> <@U0BOB|bob> &amp; <https://evil.example|click> &lt;!channel&gt; "
        + "very long words " * 30
    )
    bot.command(f"sev1 {title}")
    bot.slack.wait_for("pins.add")
    [create] = bot.slack.calls_to("conversations.create")
    assert len(create.params["name"]) <= 80
    assert re.fullmatch(r"[a-z0-9-]+", create.params["name"])
    for call in bot.slack.calls_to("chat.postMessage"):
        sent = text_of(call.params)
        assert "<!channel>" not in sent  # notifies no one: shown as the word
        assert "@channel <@U0BOB|bob> &amp; <https://evil.example|click>" in sent  # as in Slack
        assert "&lt;!channel&gt;" in sent  # typed out: shown as typed
        assert "&amp;amp;" not in sent and "&amp;lt;" not in sent  # never escaped twice
    assert_valid_block_kit(bot.slack)


def test_an_empty_title_is_refused_with_what_to_type(bot: BotClient) -> None:
    sent = bot.command("sev1")
    reply = bot.reply(sent)
    assert "Give the incident a title: `/incident sev1 checkout is returning 500s`" in reply["text"]
    assert bot.slack.calls_to("conversations.create") == []


def test_a_failed_pin_after_the_reply_is_still_told_to_the_declarer(bot: BotClient) -> None:
    bot.slack.fail_next("pins.add", "missing_scope", extra={"needed": "pins:write"})
    done = bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert "is declared in" in done["text"]
    [told] = bot.slack.wait_for("chat.postEphemeral")
    assert told.params["user"] == "U0ALICE"
    assert "some of it failed" in text_of(told.params)
    assert "pins:write" in text_of(told.params)
    # The rest still happened: the announcement went out.
    bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == ANNOUNCE)


def test_a_burst_of_declarations_asks_slack_for_a_teams_members_once(bot: BotClient) -> None:
    for n in range(3):
        bot.reply(bot.command(f"sev1 checkout is returning 500s, report {n}"))
    bot.slack.wait_for("conversations.invite", count=3)
    assert len(bot.slack.calls_to("usergroups.users.list")) == 1
    invites = [
        set(c.params["users"].split(",")) for c in bot.slack.calls_to("conversations.invite")
    ]
    assert all({"U0PAY1", "U0PAY2"} <= people for people in invites)
