"""`/incident stats [30d]`: the insights summary, privately, within Slack's limits; the weekly
digest through Slack's file upload (the stand-in checks the calls against Slack's spec)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import Engine

from bot.adapters.slack import commands, stats
from bot.adapters.slack.verbs import VERBS
from bot.core import digest, insights
from bot.core.insights import Record
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    GENERAL,
    BotClient,
    assert_valid_block_kit,
    running_bot,
    text_of,
)
from tests.core.timelines import T0
from tests.support.insights import NOW, records

VERB = VERBS["stats"]


def test_stats_reply_privately_with_the_numbers(bot: BotClient) -> None:
    bot.reply(bot.command("sev2 search is slow"))

    reply = bot.reply(bot.command("stats 7d"))

    assert reply["response_type"] == "ephemeral"
    said = text_of(reply)
    assert "Incidents, the last 7 days" in said
    assert "1 (Sev2 1)" in said
    assert "Time to acknowledge" in said
    assert_valid_block_kit(bot.slack)


@pytest.mark.parametrize(
    ("typed", "period"), [("", "30d"), ("7d", "7d"), ("2w", None), ("99999d", None)]
)
def test_the_period_is_a_duration(typed: str, period: str | None) -> None:
    if period is None:
        with pytest.raises(commands.UsageError):
            commands.stats(VERB, typed)
    else:
        assert commands.stats(VERB, typed).text == period


def hostile(record: Record, n: int) -> Record:
    services = (f"<!channel> svc{n} & co",)
    return replace(record, incident=replace(record.incident, services=services))


def test_many_services_are_cut_and_their_names_escaped() -> None:
    many = [hostile(r, n) for n in range(15) for r in records()[:1]]
    report = insights.report(many, insights.Scope(T0, NOW))

    blocks = stats.summary(report)

    for block in Block.parse_all(blocks):
        block.validate_json()
    said = str(blocks)
    assert "<!channel>" not in said and "`&lt;!channel&gt; svc0 &amp; co`" in said
    assert "…and 5 more" in said


def test_a_service_name_is_shown_as_typed_not_as_formatting() -> None:
    named = [
        replace(r, incident=replace(r.incident, services=(name,)))
        for r, name in zip(records(), ("*bold*", "`tick` _it_", "x" * 3000), strict=True)
    ]
    bare = replace(named[0], id=9, incident=replace(named[0].incident, services=()))
    report = insights.report([*named, bare], insights.Scope(T0, NOW))

    said = str(stats.summary(report))

    assert "• `*bold*`: 1" in said and f"• `{stats.GRAVE}tick{stats.GRAVE} _it_`: 1" in said
    assert f"• `{'x' * 80}`: 1" in said and "x" * 81 not in said
    assert "• _(none named)_: 1" in said
    for block in Block.parse_all(stats.summary(report)):
        block.validate_json()


def test_the_digest_reaches_slack_with_its_chart_uploaded(
    slack: SlackApiStub, engine: Engine, repo_root: Path
) -> None:
    with running_bot(slack, engine, repo_root, digest_channel=GENERAL) as bot:
        digests = bot.runtime.digests
        assert digests is not None
        bot.reply(bot.command("sev2 search is slow"))
        due = digests.schedule.next_after(datetime.now(UTC))

        assert digests.send(digest.key(digests.schedule.week_of(due))) is True

    posted = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert any("Weekly incident digest" in str(c.params.get("text")) for c in posted)
    [image] = [f for f in slack.files.values() if f.filename.endswith(".png")]
    assert image.completed and image.channels == [GENERAL]
    assert image.content is not None and image.content[:4] == b"\x89PNG"
    assert image.length == len(image.content)
    assert_valid_block_kit(slack)
