"""Stakeholders at the edges, tried as a team would: downgrades, escalations, refusals, an
incident with nowhere to post, and what the bot suggests typing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    ANNOUNCE,
    GENERAL,
    BotClient,
    on_the_card,
    running_bot,
    text_of,
)
from tests.adapters.slack.test_stakeholders import EXECS, exec_bot  # noqa: F401 - fixture


def _channel(bot: BotClient, n: int = 0) -> str:
    return str(bot.slack.calls_to("conversations.create")[n].response["channel"]["id"])


def _confirm_severity(bot: BotClient, channel: str, command: str) -> None:
    confirm = bot.reply(bot.command(command, channel=channel))
    [button] = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.click(button["action_id"], button["value"], channel=channel)


def test_the_executive_channel_that_heard_a_sev1_hears_it_downgraded_and_resolved(
    exec_bot: BotClient,  # noqa: F811
) -> None:
    """Execs were told of a Sev1; when it is downgraded to Sev2 and then resolved they hear
    nothing more: the stakeholder channels are those of the severity *after* the change."""
    bot = exec_bot
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = _channel(bot)
    _confirm_severity(bot, channel, "sev2")
    bot.slack.wait_for("chat.update", count=1, predicate=on_the_card)
    assert bot.runtime.work.wait_idle()
    bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()

    heard = [text_of(m) for m in bot.slack.messages(EXECS)]
    assert "checkout is returning 500s" in heard[0]
    assert any("is now Sev2" in h for h in heard), heard  # they saw a Sev1 start
    assert any("resolved*" in h for h in heard), heard  # ... and must hear it end


def test_a_sev2_escalated_to_sev1_is_announced_to_the_executive_channel(
    exec_bot: BotClient,  # noqa: F811
) -> None:
    """An escalation to Sev1 reaches the executive channel as the whole announcement (state,
    commander, services, next update due), not only a one-line change notice."""
    bot = exec_bot
    bot.reply(bot.command("sev2 checkout is slow"))
    assert bot.runtime.work.wait_idle()
    channel = _channel(bot)
    _confirm_severity(bot, channel, "sev1")
    bot.slack.wait_for("chat.update", count=1, predicate=on_the_card)
    assert bot.runtime.work.wait_idle()
    heard = [text_of(m) for m in bot.slack.messages(EXECS)]
    assert len(heard) == 1 and "Sev1 incident 1* (declared Sev2)" in heard[0], heard
    assert "Commander" in heard[0] and "First update due" in heard[0], heard


def test_the_announcements_last_update_is_escaped_once(bot: BotClient) -> None:
    """The status update's sentence is stored already escaped (status_update.md.j2) and the
    announcement template escapes it again: 'A & B' reads 'A &amp; B' to stakeholders."""
    bot.reply(bot.command("sev2 checkout is slow"))
    channel = _channel(bot)
    assert bot.runtime.work.wait_idle()
    bot.command(
        'update impact="cart & <payment> errors" affected=10% action="scaling up" next=30m',
        channel=channel,
    )
    bot.slack.wait_for("chat.update", count=1, predicate=on_the_card)
    assert bot.runtime.work.wait_idle()
    [announcement] = [m for m in bot.slack.messages(ANNOUNCE) if not m.get("thread_ts")]
    text = text_of(announcement)
    assert "cart &amp; &lt;payment&gt; errors" in text, text
    assert "&amp;amp;" not in text and "&amp;lt;" not in text, text


def test_a_status_update_refused_by_the_announcement_channel_leaves_the_deadline_unmet(
    bot: BotClient,
) -> None:
    """Control: the announcement channel refusing an update keeps its deadline pending."""
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = _channel(bot)
    assert bot.runtime.work.wait_idle()
    bot.slack.refuse_posts_in(ANNOUNCE, "not_in_channel")
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    bot.reply(bot.command(update, channel=channel))
    met = [
        d
        for d in bot.runtime.service.get(1).deadlines
        if d.kind is DeadlineKind.STATUS_UPDATE and d.status is DeadlineStatus.MET
    ]
    assert met == []


def test_a_resolution_stakeholders_never_got_is_not_left_unsaid(bot: BotClient) -> None:
    """The announcement channel refuses the resolution (the bot was removed from it): the
    author is told 'No need to do it again', nothing is recorded, the card says nothing, no
    timer tries again, and a status update is refused ('no longer open'): stakeholders are
    never told the incident is over, and no one can tell them through the bot."""
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = _channel(bot)
    assert bot.runtime.work.wait_idle()
    bot.slack.refuse_posts_in(ANNOUNCE, "not_in_channel")
    said = bot.reply(bot.command("resolve", channel=channel))["text"]
    assert bot.runtime.work.wait_idle()
    view = bot.runtime.service.get(1)
    kinds = [str(e.kind) for e in view.events]
    assert "stakeholders_not_told" in kinds, kinds  # the refusal is on the record
    [card] = [m for m in bot.slack.messages(channel) if m.get("metadata")]
    assert "not told" in text_of(card).lower(), said  # the card says so


def test_an_update_typed_before_the_announcement_goes_in_its_thread_when_execs_refuse(
    exec_bot: BotClient,  # noqa: F811
) -> None:
    """Sev1 declared while the bot is not in the announcement nor the executive channel;
    the bot is invited to the announcement channel only, then an update is typed. The
    announcement is posted, but the update is not put in its thread: making the announcement
    raised the executive channel's refusal, counted against the announcement channel (the
    author and the card name the executive channel twice, the announcement channel never)."""
    bot = exec_bot
    bot.slack.refuse_posts_in(ANNOUNCE, "not_in_channel")
    bot.slack.refuse_posts_in(EXECS, "not_in_channel")
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = _channel(bot)
    assert bot.runtime.work.wait_idle()
    bot.slack.refuse_posts_in(ANNOUNCE, None)  # invited there now
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    said = bot.reply(bot.command(update, channel=channel))["text"]
    replies = [c for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == ANNOUNCE]
    threaded = [text_of(c.params) for c in replies if c.params.get("thread_ts")]
    assert any("checkout errors" in t for t in threaded), (said, threaded)
    assert said.count(f"<#{EXECS}>: ") == 1, said


def test_an_update_told_to_no_one_does_not_meet_the_deadline(
    slack: SlackApiStub, engine: Engine, repo_root: Path
) -> None:
    """No announcement channel is set (the setting's default) and the Sev1's channel could not
    be made (the app lacks a scope): a status update typed from elsewhere is posted nowhere,
    yet STAKEHOLDERS_TOLD is recorded and the deadline counted met (Published.not_told is
    empty when there is neither a stakeholder channel nor an incident channel)."""
    with running_bot(slack, engine, repo_root, incident_announce_channel=None) as bot:
        slack.fail_next("conversations.create", "missing_scope", times=50)
        bot.reply(bot.command("sev1 checkout is returning 500s"))
        assert bot.runtime.work.wait_idle()
        assert bot.runtime.service.get(1).channel_id is None
        update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
        said = bot.reply(bot.command(f"1 {update}", channel=GENERAL))["text"]
        view = bot.runtime.service.get(1)
        posted = [c.params["channel"] for c in slack.calls_to("chat.postMessage")]
        met = [
            d
            for d in view.deadlines
            if d.kind is DeadlineKind.STATUS_UPDATE and d.status is DeadlineStatus.MET
        ]
        assert met == [], (said, posted)


def test_the_command_a_refused_update_suggests_is_one_the_bot_accepts(
    exec_bot: BotClient,  # noqa: F811
) -> None:
    """'post it again (`/incident 1 update <text>`)': typed so, it is refused (the one-line
    update wants impact=, affected=, action=, next=)."""
    bot = exec_bot
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = _channel(bot)
    bot.slack.refuse_posts_in(EXECS, "not_in_channel")
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    said = bot.reply(bot.command(update, channel=channel))["text"]
    suggested = said.split("post a new update (`/incident ")[1].split("`")[0]
    assert suggested == "1 update", said
    opened = len(bot.slack.calls_to("views.open"))
    bot.command(suggested, channel=channel, trigger_id="trigger-form")
    bot.slack.wait_for("views.open", count=opened + 1)  # the form it promised


def test_an_update_the_announcement_channel_refused_is_told_again_by_its_timer(
    bot: BotClient,
) -> None:
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = _channel(bot)
    bot.slack.refuse_posts_in(ANNOUNCE, "not_in_channel")
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    bot.reply(bot.command(update, channel=channel))
    assert bot.runtime.service.get(1).untold is not None

    later = bot.runtime.service.clock() + timedelta(minutes=1)
    bot.runtime.runner.tick(later)  # still refused: still owed, tried again later
    assert bot.runtime.service.get(1).untold is not None
    bot.slack.refuse_posts_in(ANNOUNCE, None)  # someone invites the bot there
    bot.runtime.runner.tick(later + timedelta(minutes=10))

    view = bot.runtime.service.get(1)
    assert view.untold is None
    assert "stakeholders_told" in [e.kind.value for e in view.events]
    told = [m for m in bot.slack.messages(ANNOUNCE) if m.get("thread_ts") == view.announcement_ts]
    assert ["checkout errors" in text_of(m) for m in told] == [True]  # once, in its thread
    statuses = [d.status for d in view.deadlines if d.kind is DeadlineKind.STATUS_UPDATE]
    assert statuses[0] is DeadlineStatus.MET  # told within its 15 minutes after all


def test_a_resolution_stakeholders_did_not_get_is_told_again_by_its_timer(bot: BotClient) -> None:
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = _channel(bot)
    bot.slack.refuse_posts_in(ANNOUNCE, "channel_not_found")
    bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()
    owed = bot.runtime.service.get(1).untold
    assert owed is not None and owed.entry.kind.value == "resolved"
    bot.slack.refuse_posts_in(ANNOUNCE, None)
    bot.runtime.runner.tick(bot.runtime.service.clock() + timedelta(minutes=1))
    posts = bot.slack.calls_to("chat.postMessage", lambda c: c.params["channel"] == ANNOUNCE)
    resolved = [c for c in posts if "resolved*" in text_of(c.params) and c.response.get("ok")]
    assert len(resolved) == 1 and resolved[0].params.get("reply_broadcast") in (True, "true")
    assert bot.runtime.service.get(1).untold is None
