"""The weekly digest: one bot-wide timer a week, sent once across replicas, with a real PNG."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters import charts
from bot.adapters.db.tables import TimerRow
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.slack.digest import SlackDigestWording
from bot.core.digest import Schedule
from bot.core.insights import Report
from bot.core.timers import BOT_WIDE, Purpose
from bot.services.digest import Digests
from bot.services.insights import Insights
from bot.services.timers import TimerRunner
from tests.core.timelines import SHIPPED
from tests.services.fakes import FakeChat
from tests.support.insights import records, store

DUE = datetime(2026, 3, 16, 9, tzinfo=UTC)  # a Monday; the fixed incidents are the week before
SCHEDULE = Schedule(0, time(9, 0), ZoneInfo("UTC"))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.db
def test_each_replica_arms_the_same_timer_and_one_sends_it(
    sessions: sessionmaker[Session],
) -> None:
    units = units_of_work(sessions)
    store(units, records())
    clock = Clock(DUE - timedelta(days=2))
    chat = FakeChat()
    insights = Insights(units, SHIPPED, clock)
    replicas = [
        Digests(units, insights, chat, SlackDigestWording(), SCHEDULE, "C0DIGEST", clock)
        for _ in "ab"
    ]

    assert {replica.arm() for replica in replicas} == {DUE}
    with sessions() as session:
        armed = session.scalars(select(TimerRow).where(TimerRow.incident_id.is_(None))).all()
    assert [(t.key, t.purpose, t.fire_at) for t in armed] == [
        ("digest@2026-W12", str(Purpose.DIGEST), DUE)
    ]

    clock.now = DUE
    runners = [
        TimerRunner(units, None, None, owner=f"replica-{n}", digest=replica.send)  # type: ignore[arg-type]
        for n, replica in zip("ab", replicas, strict=True)
    ]
    fired = [f for runner in runners for f in runner.tick(DUE)]

    assert [(f.timer.incident_id, f.outcome) for f in fired] == [(BOT_WIDE, "fired")]
    # The week before DUE holds incidents A and B (C is declared on DUE's day).
    assert [c[1:] for c in chat.calls if c[0] == "post"] == [
        ("C0DIGEST", "Weekly incident digest: 2 incident(s)")
    ]
    [upload] = [c for c in chat.calls if c[0] == "upload"]
    _, channel, image, name, _title = upload
    assert (channel, name) == ("C0DIGEST", "incident-digest-2026-03-16.png")
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])  # the IHDR chunk
    assert (width, height) == (charts.WIDTH * charts.DPI, charts.HEIGHT * charts.DPI)
    with sessions() as session:
        keys = session.scalars(
            select(TimerRow.key).where(TimerRow.incident_id.is_(None), TimerRow.status == "pending")
        ).all()
    assert keys == ["digest@2026-W13"]  # the next week's


@pytest.mark.db
def test_a_send_that_stopped_after_posting_does_not_post_again(
    sessions: sessionmaker[Session],
) -> None:
    units = units_of_work(sessions)
    clock = Clock(DUE)
    chat = FakeChat()
    crashes = [RuntimeError("the process died while drawing the chart")]

    class DiesOnce(SlackDigestWording):
        def chart(self, span: Report) -> tuple[bytes, str]:
            if crashes:
                raise crashes.pop()
            return super().chart(span)

    digests = Digests(
        units, Insights(units, SHIPPED, clock), chat, DiesOnce(), SCHEDULE, "C0D", clock
    )
    key = "digest@2026-W12"

    with pytest.raises(RuntimeError, match="died"):
        digests.send(key)
    assert digests.send(key) is True

    assert len(chat.posted) == 1
    assert [c[0] for c in chat.calls].count("upload") == 1


def test_a_chart_slack_refuses_is_logged_and_the_digest_done(
    sessions: sessionmaker[Session],
) -> None:
    units = units_of_work(sessions)
    clock = Clock(DUE)
    chat = FakeChat()
    chat.fail("upload")
    digests = Digests(
        units, Insights(units, SHIPPED, clock), chat, SlackDigestWording(), SCHEDULE, "C0D", clock
    )

    assert digests.send("digest@2026-W12") is True
    assert len(chat.posted) == 1


def test_the_message_lists_the_weeks_incidents_within_slacks_limits() -> None:
    from slack_sdk.models.blocks import Block

    from bot.core import insights
    from tests.core.timelines import T0

    week = insights.report(records(), insights.Scope(DUE - timedelta(days=7), DUE))
    before = insights.report(records(), insights.Scope(T0 - timedelta(days=28), T0))

    message = SlackDigestWording().message(week, before)

    for block in Block.parse_all(message.content):
        block.validate_json()
    said = str(message.content)
    assert "*2 (Sev1 1, Sev2 1)* incident(s)" in said
    assert "#1 x (resolved)" in said and "#2 x (resolved)" in said and "#3" not in said
    assert "0.0 a week in the 4 weeks before" in said
