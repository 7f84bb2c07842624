"""Insights checked by hand from outside: follow-ups dropped late, severities that went up and
down, reopenings, and the drill's numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core import insights
from bot.core.deadline_kinds import DeadlineKind as K
from bot.core.insights import Scope, Tally
from bot.core.model import EventKind, Severity
from bot.entrypoints import cli
from tests.core.timelines import T0, Timeline, at
from tests.support.insights import _record

NOW = T0 + timedelta(days=3)


def test_follow_up_dropped_after_its_due_date_is_missed_once() -> None:
    t = Timeline(Severity.SEV2)
    t.ack(5, "U").add(30, EventKind.RESOLVED)
    t.add(31, EventKind.FOLLOW_UP_ADDED, subject="U", text="x", extra={"due": at(60).isoformat()})
    t.add(120, EventKind.FOLLOW_UP_DROPPED, extra={"follow_up": "1"}, text="meh")
    tallies = insights.deadline_tallies([_record(1, t)])
    assert tallies[(K.FOLLOW_UP, Severity.SEV2)] == Tally(0, 1, 0)


def test_sev3_escalated_then_downgraded_after_missing_keeps_the_sev1_misses() -> None:
    t = Timeline(Severity.SEV3)
    t.severity(10, Severity.SEV1).severity(30, Severity.SEV3).add(40, EventKind.RESOLVED)
    tallies = insights.deadline_tallies([_record(1, t)])
    assert tallies == {
        (K.ASSEMBLE, Severity.SEV1): Tally(0, 1, 0),
        (K.STATUS_UPDATE, Severity.SEV1): Tally(0, 1, 0),
    }


def test_reopened_long_after_runs_resolve_clock_to_the_last_resolution() -> None:
    t = Timeline(Severity.SEV1)
    t.commander(1, "U").join(2, "A").join(3, "B").ack(2, "A")
    t.update(10, timedelta(minutes=30)).add(20, EventKind.RESOLVED)
    t.add(200, EventKind.REOPENED).add(300, EventKind.RESOLVED)
    record = _record(1, t)
    assert insights.time_to_resolve(record) == timedelta(minutes=300)
    # the update owed 15 min after the reopening was never posted: missed
    assert insights.deadline_tallies([record])[(K.STATUS_UPDATE, Severity.SEV1)] == Tally(1, 1, 0)


def test_digest_and_stats_blocks_valid_with_hostile_titles_and_long_services() -> None:
    from slack_sdk.models.blocks import Block

    from bot.adapters.slack import stats
    from bot.adapters.slack.digest import SlackDigestWording

    records = []
    for n in range(1, 40):
        t = Timeline(Severity.SEV1, declared_at=n)
        names = ",".join(f"{'s' * 300}{n}{k}" for k in range(3))
        t.events[0] = replace(
            t.events[0], text="<!channel> *bold* " + "x" * 180, extra={"services": names}
        )
        records.append(_record(n, t))
    found = insights.report(records, Scope(T0 - timedelta(days=1), NOW))
    for content in (stats.summary(found), SlackDigestWording().message(found, found).content):
        for block in Block.parse_all(content):
            block.validate_json()
        assert "<!channel>" not in str(content)


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "0d"],
        ["--since", "-5d"],
        ["--since", "1w"],
        ["--since", "99999999999d"],
        ["--severity", "1"],
        ["--format", "pdf"],
    ],
)
def test_report_bad_input_is_a_usage_error(args: list[str]) -> None:
    assert cli.main(["report", *args]) == 2
