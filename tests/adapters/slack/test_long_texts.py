"""Long texts people type, as the bot shows them: the protocol's sentence always whole."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.slack.conftest import ANNOUNCE, BotClient, assert_valid_block_kit


def _declared(bot: BotClient) -> str:
    bot.reply(bot.command("sev2 checkout is slow"))
    assert bot.runtime.work.wait_idle()
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def _said(bot: BotClient, channel: str) -> str:
    """The text of the last message the bot posted in ``channel`` (its sections, joined)."""
    assert bot.runtime.work.wait_idle()
    posted = [
        c.params for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == channel
    ]
    blocks: list[dict[str, Any]] = posted[-1].get("blocks") or []
    return " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")


@pytest.mark.parametrize(
    "impact",
    [
        " ".join(f"w{n}" for n in range(5000)),  # ~ 34,000 characters
        "x\n" + ("y" * 1600 + "\n") * 25,  # early line breaks
        "&amp;" * 8000,
    ],
    ids=["words", "lines", "entities"],
)
def test_a_long_impact_is_shortened_and_the_sentence_stays_whole(
    bot: BotClient, impact: str
) -> None:
    channel = _declared(bot)
    sent = bot.command(
        f'update impact="{impact}" affected=5% action="rolling back" next=30m', channel=channel
    )
    assert sent.status == 200
    for where in (channel, ANNOUNCE):
        said = " ".join(_said(bot, where).split())
        assert said.startswith(":loudspeaker:"), where
        assert (
            "…. 5% of traffic are affected. We are rolling back. Next update in 30 minutes." in said
        ), where
        assert "Shortened here" not in said
    assert_valid_block_kit(bot.slack)
