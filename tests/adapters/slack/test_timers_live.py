"""The real timers end to end: second-long playbooks, the APScheduler ticker, Slack over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.adapters.db.incidents import Incidents
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import ANNOUNCE, BotClient, running_bot, text_of
from tests.support.pagerduty import PagerDutyStub
from tests.support.playbooks import fast_playbooks


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStub]:
    with PagerDutyStub() as stub:
        yield stub


@pytest.fixture
def live(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path, pagerduty: PagerDutyStub
) -> Iterator[BotClient]:
    books = fast_playbooks(tmp_path / "books", routing_key="R0UTINGKEY0000")
    with running_bot(
        slack,
        engine,
        repo_root,
        playbooks_dir=books,
        pagerduty_events_url=pagerduty.url,
        timer_poll_seconds=0.2,
    ) as client:
        client.runtime.start_timers()
        yield client


def channel_texts(slack: SlackApiStub, channel: str) -> list[str]:
    return [text_of(m) for m in slack.messages(channel)]


def wait_for_text(
    slack: SlackApiStub, channel: str, needle: str, count: int = 1, timeout: float = 15
) -> list[str]:
    def found() -> list[str]:
        return [t for t in channel_texts(slack, channel) if needle in t]

    if not slack.wait_until(lambda: len(found()) >= count, timeout):
        raise AssertionError(f"{needle!r} x{count} not in {channel_texts(slack, channel)}")
    return found()


def test_unassembled_team_is_reminded_then_escalated_and_paged(
    live: BotClient, pagerduty: PagerDutyStub
) -> None:
    sent = live.command("sev1 checkout is returning 500s")
    live.reply(sent)
    channel = live.slack.calls_to("conversations.create")[0].response["channel"]["id"]
    [reminder] = wait_for_text(live.slack, channel, "Incident team assembled* due")
    assert "<!subteam^S0PAYMENTS>" in reminder  # no commander yet: the owning team
    [overdue] = wait_for_text(live.slack, channel, "Overdue: incident team assembled")
    assert "Escalating to <!subteam^S0SRELEADS>" in overdue
    assert "The owning team was paged" in overdue
    [page] = pagerduty.events
    assert page["routing_key"] == "R0UTINGKEY0000"
    assert page["dedup_key"] == "incident-1-assemble@1"
    assert page["payload"]["severity"] == "critical"
    seen = datetime.now(UTC)  # a tick begun after this would have repeated it
    assert live.runtime.ticker.wait_for_tick(after=seen, timeout=10)
    assert (
        len([t for t in channel_texts(live.slack, channel) if "Overdue: incident team" in t]) == 1
    )
    with live.runtime.sessions() as session:
        kinds = [str(e.kind) for e in Incidents(session).timeline.events(1)]
    assert kinds.count("deadline_missed") >= 1


def test_the_nudge_button_opens_the_form_and_an_update_meets_the_deadline(
    live: BotClient,
) -> None:
    sent = live.command("sev2 search is slow")
    live.reply(sent)
    channel = live.slack.calls_to("conversations.create")[0].response["channel"]["id"]
    live.command("ack", channel=channel)  # keep the response deadline quiet
    [nudge] = wait_for_text(live.slack, channel, "Status update to stakeholders* due")
    assert "incident.update" in nudge
    live.click("incident.update", "1", channel=channel)
    [opened] = live.slack.wait_for("views.open")
    assert opened.view is not None
    view = {
        **opened.view,
        "id": "V1",
        "state": {
            "values": {
                "impact": {"value": {"value": "slow search results"}},
                "affected": {"value": {"value": "12%"}},
                "action": {"value": {"value": "scaling up the search cluster"}},
                "next": {"value": {"selected_option": {"value": "15m"}}},
                "custom": {"value": {"value": None}},
            }
        },
    }
    answer = live.interact({"type": "view_submission", "user": {"id": "U0BOB"}, "view": view})
    assert answer.status == 200
    sentence = (
        "We are aware of slow search results. 12% of traffic are affected. We are "
        "scaling up the search cluster. Next update in 15 minutes."
    )
    wait_for_text(live.slack, channel, sentence)
    wait_for_text(live.slack, ANNOUNCE, sentence)
    assert live.runtime.work.wait_idle()  # stakeholders' being told is recorded after it
    [due] = [
        d.due_at
        for d in live.runtime.service.get(1).deadlines
        if d.kind is DeadlineKind.STATUS_UPDATE and d.status is DeadlineStatus.MET
    ]
    # A tick begun past the first update's due time is over: met, so nothing is overdue.
    assert live.runtime.ticker.wait_for_tick(after=due, timeout=15)
    assert not [t for t in channel_texts(live.slack, channel) if "Overdue: status" in t]
