"""Stakeholders follow an incident in one announcement, kept current in place, with every
change in its thread; an escalation and the resolution are shown in the channel too."""

from __future__ import annotations

from tests.adapters.slack.conftest import ANNOUNCE, BotClient, on_the_card, text_of


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
