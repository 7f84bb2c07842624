"""Stakeholders follow an incident in one announcement, kept current in place, with every
change in its thread; an escalation and the resolution are shown in the channel too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    ANNOUNCE,
    SHIPPED_PLAYBOOKS,
    BotClient,
    on_the_card,
    running_bot,
    text_of,
)


def test_the_announcement_is_followed_through_a_whole_incident(bot: BotClient) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    assert bot.runtime.work.wait_idle()  # announced (after the declarer's answer)
    steps = [
        'update impact="slow checkout" affected=10% action="scaling up" next=30m',
        "ic <@U0ALICE|alice>",
    ]
    for done, step in enumerate(steps, start=1):
        bot.command(step, channel=channel)
        bot.slack.wait_for("chat.update", count=done, predicate=on_the_card)
    confirm = bot.reply(bot.command("sev1", channel=channel))
    [button] = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.click(button["action_id"], button["value"], channel=channel)
    bot.slack.wait_for("chat.update", count=3, predicate=on_the_card)
    for done, step in enumerate(["mitigated", "resolve", "reopen"], start=4):
        bot.command(step, channel=channel)
        bot.slack.wait_for("chat.update", count=done, predicate=on_the_card)
    assert bot.runtime.work.wait_idle()

    posts = bot.slack.calls_to("chat.postMessage", lambda c: c.params["channel"] == ANNOUNCE)
    roots = [c for c in posts if not c.params.get("thread_ts")]
    assert len(roots) == 1, [text_of(c.params) for c in roots]  # one announcement
    root = roots[0]
    thread = [c for c in posts if c.params.get("thread_ts") == root.response["ts"]]
    said = [text_of(c.params) for c in thread]
    assert ["slow checkout" in s for s in said][:1] == [True]  # the status update
    assert any("is now Sev1" in s for s in said)
    assert any("is mitigated" in s for s in said)
    assert any("resolved*" in s for s in said)
    assert any("is back" in s for s in said)
    shown = [text_of(c.params) for c in thread if c.params.get("reply_broadcast")]
    assert len(shown) == 2  # the escalation and the resolution, in the channel too
    assert any("is now Sev1" in s for s in shown) and any("resolved*" in s for s in shown)
    [now] = [m for m in bot.slack.messages(ANNOUNCE) if m["ts"] == root.response["ts"]]
    assert "*State* Investigating" in text_of(now)  # reopened, as it is now
    assert "<@U0ALICE>" in text_of(now)
    assert "slow checkout" in text_of(now)  # the last status update


EXECS = "C0EXECS"


@pytest.fixture
def exec_bot(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path
) -> Iterator[BotClient]:
    """A bot whose Sev1 playbook also tells an executive channel."""
    for path in SHIPPED_PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    sev1 = tmp_path / "sev1.yaml"
    sev1.write_text(sev1.read_text() + f"\nstakeholders:\n  channels: [{EXECS}]\n")
    slack.add_channel(EXECS, "execs", members=[slack.identity.bot_user_id])
    with running_bot(slack, engine, repo_root, playbooks_dir=tmp_path) as client:
        yield client


def test_a_playbooks_executive_channel_hears_a_sev1_from_declaration_to_resolution(
    exec_bot: BotClient,
) -> None:
    bot = exec_bot
    bot.reply(bot.command("sev2 search is slow"))
    assert bot.runtime.work.wait_idle()
    assert bot.slack.messages(EXECS) == []  # a Sev2 is not theirs
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = str(bot.slack.calls_to("conversations.create")[1].response["channel"]["id"])
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    bot.command(update, channel=channel)
    assert bot.runtime.work.wait_idle()
    bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()

    heard = [text_of(m) for m in bot.slack.messages(EXECS)]
    assert len(heard) == 3, heard  # each a message of its own, in order
    assert "checkout is returning 500s" in heard[0]
    assert "checkout errors" in heard[1]
    assert "resolved*" in heard[2]
    met = [d for d in bot.runtime.service.get(2).deadlines if d.status is DeadlineStatus.MET]
    assert [d.kind for d in met if d.kind is DeadlineKind.STATUS_UPDATE] == [
        DeadlineKind.STATUS_UPDATE
    ]


def test_a_status_update_the_executive_channel_refused_leaves_the_deadline_unmet(
    exec_bot: BotClient,
) -> None:
    bot = exec_bot
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    bot.slack.refuse_posts_in(EXECS, "is_archived")
    update = 'update impact="checkout errors" affected=40% action="rolling back" next=15m'
    text = bot.reply(bot.command(update, channel=channel))["text"]
    assert f"Not posted in <#{EXECS}>: <#{EXECS}> is archived." in text
    assert "*stakeholders were not told*" in text
    assert any("checkout errors" in text_of(m) for m in bot.slack.messages(ANNOUNCE))
    pending = [
        d
        for d in bot.runtime.service.get(1).deadlines
        if d.kind is DeadlineKind.STATUS_UPDATE and d.status is DeadlineStatus.PENDING
    ]
    assert len(pending) == 2  # the first update's deadline, and the one it promised
