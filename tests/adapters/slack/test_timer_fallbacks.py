"""Slack refusing the timers' notices: every miss still reaches a person and is recorded.

The bot as ``serve`` builds it (``app.build``), its ticker not started: the test ticks it at the
times it chooses on a fixed clock. Slack is the stand-in over HTTP, told to answer the next
``chat.postMessage`` calls with an error, as Slack answers them for an archived channel, a bot
removed from it, or a deactivated account.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bot.adapters.slack import blocks
from bot.core.model import EventKind, Severity
from bot.core.timers import MISSED_AFTER
from bot.entrypoints import app
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.services.delivery import Reach
from bot.services.timers import Fired
from tests.adapters.slack.conftest import ANNOUNCE, bot_settings, text_of
from tests.core.timelines import T0
from tests.services.conftest import FixedClock
from tests.support.pagerduty import PagerDutyStub
from tests.support.playbooks import fast_playbooks

CHANNEL = "C0INC1"
PERMANENT = ["is_archived", "channel_not_found", "not_in_channel", "account_inactive"]
SEV1_REMINDED = T0 + timedelta(minutes=3)  # the team-assembled reminder ...
SEV1_DUE = T0 + timedelta(minutes=5) + MISSED_AFTER  # ... and its overdue notice


class Bot:
    """One replica on a fixed clock, ticked by the test."""

    def __init__(self, runtime: app.Runtime, clock: FixedClock, slack: SlackApiStub) -> None:
        self.runtime = runtime
        self.clock = clock
        self.slack = slack

    def declare(self, severity: Severity, channel: str | None = CHANNEL) -> int:
        declared = self.runtime.service.declare(
            severity=severity, title="checkout 500s", by="U0ALICE", services=("checkout",)
        )
        if channel is not None:
            self.runtime.service.attach_channel(declared.view.id, channel, "inc-1-checkout")
        self.runtime.service.setup_finished(declared.view.id)  # only its deadlines at stake
        return declared.view.id

    def tick(self, at: datetime) -> list[Fired]:
        self.clock.now = at
        fired = self.runtime.runner.tick(at)
        assert self.runtime.ticker.on_fired is not None
        self.runtime.ticker.on_fired(fired)  # the metrics, as the ticker reports them
        return fired

    def texts(self, channel: str) -> list[str]:
        return [text_of(m) for m in self.slack.messages(channel)]

    def direct(self, user: str) -> list[str]:
        """What the bot said to ``user`` in a direct message."""
        ims = [c for c in self.slack.channels.values() if c.is_im and user in c.members]
        return [text_of(m) for im in ims for m in im.messages]

    def entries(self, incident: int, kind: EventKind) -> list[dict[str, Any]]:
        events = self.runtime.service.get(incident).events
        return [{"text": e.text, **e.extra} for e in events if e.kind is kind]

    def notices(self, reached: str) -> float:
        """How many timers' notices the metrics count as having reached ``reached``."""
        families = text_string_to_metric_families(
            generate_latest(self.runtime.metrics.registry).decode()
        )
        return sum(
            sample.value
            for family in families
            for sample in family.samples
            if sample.name == "incident_bot_timer_notices_total"
            and sample.labels["reached"] == reached
        )


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStub]:
    with PagerDutyStub() as stub:
        yield stub


@pytest.fixture
def bot(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path, pagerduty: PagerDutyStub
) -> Iterator[Bot]:
    books = fast_playbooks(tmp_path / "books", routing_key="R0UTINGKEY0000")
    for name in ("sev1.yaml", "sev2.yaml"):  # shipped deadlines, paged through the stub
        (books / name).write_text((repo_root / "playbooks" / name).read_text())
    slack.add_channel(CHANNEL, "inc-1-checkout", members=[slack.identity.bot_user_id, "U0ALICE"])
    settings = bot_settings(
        slack, engine, repo_root, playbooks_dir=books, pagerduty_events_url=pagerduty.url
    )
    clock = FixedClock(T0)
    runtime = app.build(settings, clock)
    try:
        yield Bot(runtime, clock, slack)
    finally:
        runtime.close()


@pytest.mark.parametrize("error", PERMANENT)
def test_a_reminder_the_incident_channel_refuses_goes_to_the_announcement_channel(
    bot: Bot, slack: SlackApiStub, error: str
) -> None:
    bot.declare(Severity.SEV1)
    slack.fail_next("chat.postMessage", error)
    [fired] = bot.tick(SEV1_REMINDED)
    assert (fired.outcome, fired.reach) == ("fired", Reach.ANNOUNCEMENT_CHANNEL)
    assert [t for t in bot.texts(ANNOUNCE) if "Incident team assembled* due" in t]
    assert bot.notices("announcement_channel") == 1


@pytest.mark.parametrize("error", PERMANENT)
def test_an_overdue_notice_no_channel_takes_reaches_the_owning_team_directly_and_is_recorded(
    bot: Bot, slack: SlackApiStub, pagerduty: PagerDutyStub, error: str
) -> None:
    incident = bot.declare(Severity.SEV1)
    bot.tick(SEV1_REMINDED)
    slack.fail_next("chat.postMessage", error, times=2)  # the incident and announcement channels
    [fired] = bot.tick(SEV1_DUE)
    assert (fired.outcome, fired.reach) == ("fired", Reach.OWNING_TEAM)
    for member in ("U0PAY1", "U0PAY2"):  # no commander yet: the owning team, each of them
        [said] = bot.direct(member)
        assert "Overdue: incident team assembled" in said
    [missed] = bot.entries(incident, EventKind.DEADLINE_MISSED)
    assert (missed["deadline"], missed["reached"]) == ("assemble@1", "owning_team")
    assert [e["dedup_key"] for e in pagerduty.events] == ["incident-1-assemble@1"]


def test_the_commander_is_told_directly_before_the_team(bot: Bot, slack: SlackApiStub) -> None:
    incident = bot.declare(Severity.SEV2)
    bot.runtime.service.record(incident, EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB")
    slack.fail_next("chat.postMessage", "is_archived")
    slack.fail_next("chat.postMessage", "not_in_channel")
    fired = bot.tick(T0 + timedelta(minutes=30) + MISSED_AFTER)  # the first status update
    assert [(f.timer.key, f.reach) for f in fired if f.outcome == "fired"] == [
        ("status_update@1:due", Reach.COMMANDER)
    ]
    assert ["Overdue: status update" in t for t in bot.direct("U0BOB")] == [True]
    assert bot.direct("U0PAY1") == []


def test_a_miss_no_one_can_be_told_of_is_still_recorded_paged_and_counted(
    bot: Bot, slack: SlackApiStub, pagerduty: PagerDutyStub
) -> None:
    incident = bot.declare(Severity.SEV1)
    bot.tick(SEV1_REMINDED)
    slack.fail_next("chat.postMessage", "account_inactive", times=4)  # 2 channels, 2 members
    [fired] = bot.tick(SEV1_DUE)
    assert (fired.outcome, fired.reach) == ("undelivered", Reach.NOBODY)
    [missed] = bot.entries(incident, EventKind.DEADLINE_MISSED)
    assert missed["reached"] == "nobody"
    assert missed["undelivered"].count("account_inactive") == 4
    assert len(pagerduty.events) == 1  # the playbook's page, whatever Slack answered
    assert bot.notices("nobody") == 1
    assert bot.tick(SEV1_DUE + timedelta(minutes=1)) == []  # recorded once, not tried again


def test_a_transient_failure_is_tried_again_seconds_later_in_the_same_channel(
    bot: Bot, slack: SlackApiStub
) -> None:
    incident = bot.declare(Severity.SEV1)
    bot.tick(SEV1_REMINDED)
    slack.fail_next("chat.postMessage", "fatal_error")  # not resent blindly: found again
    assert [f.outcome for f in bot.tick(SEV1_DUE)] == ["retrying"]
    assert [f.outcome for f in bot.tick(SEV1_DUE + timedelta(seconds=5))] == ["fired"]
    assert [t for t in bot.texts(CHANNEL) if "Overdue: incident team assembled" in t]
    assert not [t for t in bot.texts(ANNOUNCE) if "Overdue" in t]
    assert len(bot.entries(incident, EventKind.DEADLINE_MISSED)) == 1


def test_an_unacknowledged_sev2_is_escalated_again_and_again_each_step_recorded(
    bot: Bot, slack: SlackApiStub, pagerduty: PagerDutyStub
) -> None:
    """Sev2 escalates every 30 minutes: the owner, then the on-call group, then a page, and
    pages again until someone responds; some of it has to go down the fallback chain."""
    incident = bot.declare(Severity.SEV2)
    bot.runtime.service.record(
        incident, EventKind.STATUS_UPDATE_POSTED, "U0ALICE", next_update=timedelta(days=3)
    )  # only the response deadline is at stake
    due = T0 + timedelta(minutes=15)
    bot.tick(due + MISSED_AFTER)
    steps = []
    for n, error in enumerate(["is_archived", "not_in_channel", None, "channel_not_found"], 1):
        if error:
            slack.fail_next("chat.postMessage", error)
        [fired] = bot.tick(due + n * timedelta(minutes=30))
        steps.append((fired.timer.key, fired.reach))
    assert steps == [
        ("respond@1:escalate#1", Reach.ANNOUNCEMENT_CHANNEL),
        ("respond@1:escalate#2", Reach.ANNOUNCEMENT_CHANNEL),
        ("respond@1:escalate#3", Reach.INCIDENT_CHANNEL),
        ("respond@1:escalate#4", Reach.ANNOUNCEMENT_CHANNEL),
    ]
    recorded = bot.entries(incident, EventKind.DEADLINE_ESCALATED)
    assert [(e["step"], e["rung"]) for e in recorded] == [
        ("1", "owner"),
        ("2", "group"),
        ("3", "page"),
        ("4", "page"),
    ]
    assert len(bot.entries(incident, EventKind.DEADLINE_MISSED)) == 1  # missed once
    assert [e["dedup_key"] for e in pagerduty.events] == [
        "incident-1-respond@1-3",
        "incident-1-respond@1-4",
    ]
    [group_step] = [t for t in bot.texts(ANNOUNCE) if "escalation 2" in t]
    assert "Escalating to <!subteam^S0ONCALL>" in group_step
    views, total = bot.runtime.service.open_listed(blocks.LISTED)
    listed = str(blocks.incident_list(views, total, bot.clock()))
    assert "on-call engineer responded missed, next escalation <!date^" in listed
    assert "2026-03-14 05:45 UTC>, to the owner and the escalation group, with a page" in listed
    bot.runtime.service.record(incident, EventKind.ACKNOWLEDGED, "U0BOB")
    assert bot.tick(due + timedelta(days=2)) == []  # met at last: no more escalations
