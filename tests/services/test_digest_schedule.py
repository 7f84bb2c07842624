"""The weekly digest when the clocks or its schedule change: each week sent once, and the
weeks it tells abut (no incident told twice, none left out)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.tables import TimerRow
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.slack.digest import SlackDigestWording
from bot.core.digest import Schedule
from bot.core.model import Severity
from bot.services.digest import Digests
from bot.services.insights import Insights
from bot.services.ports import UnitsOfWork
from bot.services.timers import TimerRunner
from tests.core.timelines import SHIPPED, T0, Timeline
from tests.services.fakes import FakeChat
from tests.support.insights import _record, store

MONDAY = datetime(2026, 3, 16, tzinfo=UTC)  # ISO week 12


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Bot:
    """One replica's digest and timer runner, with its own schedule, over the shared store."""

    def __init__(
        self, units: UnitsOfWork, chat: FakeChat, clock: Clock, schedule: Schedule, name: str
    ) -> None:
        insights = Insights(units, SHIPPED, clock)
        wording = SlackDigestWording()
        self.digests = Digests(units, insights, chat, wording, schedule, "C0D", clock)
        self.runner = TimerRunner(units, None, None, owner=name, digest=self.digests.send)  # type: ignore[arg-type]
        self.clock = clock

    def at(self, moment: datetime) -> None:
        self.clock.now = moment
        self.runner.tick(moment)


def declared(units: UnitsOfWork, *moments: datetime) -> None:
    """An incident declared at each moment (ids from 1)."""
    timelines = [Timeline(Severity.SEV2, (m - T0) / timedelta(minutes=1)) for m in moments]
    store(units, [_record(n, t) for n, t in enumerate(timelines, 1)])


def told(chat: FakeChat) -> list[str]:
    return [p.text for p in chat.posted]


def pending_digests(sessions: sessionmaker[Session]) -> list[tuple[str, datetime]]:
    with sessions() as session:
        rows = session.execute(
            select(TimerRow.key, TimerRow.fire_at).where(
                TimerRow.incident_id.is_(None), TimerRow.status == "pending"
            )
        ).all()
    return [(key, fire_at.replace(tzinfo=UTC)) for key, fire_at in rows]


def weekly(hour: int, weekday: int = 0, zone: str = "UTC") -> Schedule:
    return Schedule(weekday, time(hour), ZoneInfo(zone))


@pytest.mark.db
def test_weeks_abut_across_a_clock_change(sessions: sessionmaker[Session]) -> None:
    """Mondays 09:00 in Paris: 08:00 UTC on 23 March, 07:00 UTC on the 30th (the clocks went
    forward on the 29th). An incident declared at 07:30 UTC on the 23rd is the first digest's;
    a week of 168 hours back from the second would tell it again."""
    units = units_of_work(sessions)
    declared(
        units, datetime(2026, 3, 23, 7, 30, tzinfo=UTC), datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    )
    chat = FakeChat()
    bot = Bot(
        units, chat, Clock(datetime(2026, 3, 22, tzinfo=UTC)), weekly(9, 0, "Europe/Paris"), "a"
    )
    bot.digests.arm()

    bot.at(datetime(2026, 3, 23, 8, tzinfo=UTC))
    bot.at(datetime(2026, 3, 30, 7, tzinfo=UTC))

    assert told(chat) == ["Weekly incident digest: 1 incident(s)"] * 2


@pytest.mark.db
def test_moving_the_digest_time_does_not_send_that_week_twice(
    sessions: sessionmaker[Session],
) -> None:
    """Armed for Monday 09:00, restarted at 08:00 with 10:00: the week's send moves, one
    timer stays, and it is sent once, at 10:00 (an old replica still running sends it at
    most once too)."""
    units = units_of_work(sessions)
    declared(units, MONDAY - timedelta(days=2))
    chat = FakeChat()
    clock = Clock(MONDAY - timedelta(days=1))
    old = Bot(units, chat, clock, weekly(9), "old")
    old.digests.arm()
    clock.now = MONDAY + timedelta(hours=8)
    new = Bot(units, chat, clock, weekly(10), "new")

    assert new.digests.arm() == MONDAY + timedelta(hours=10)
    assert pending_digests(sessions) == [("digest@2026-W12", MONDAY + timedelta(hours=10))]
    for hour in (9, 10, 11):
        old.at(MONDAY + timedelta(hours=hour))
        new.at(MONDAY + timedelta(hours=hour, minutes=1))

    assert told(chat) == ["Weekly incident digest: 1 incident(s)"]
    assert pending_digests(sessions) == [("digest@2026-W13", MONDAY + timedelta(days=7, hours=9))]


@pytest.mark.db
def test_a_later_weekday_the_same_week_waits_for_the_next_and_tells_since_the_last(
    sessions: sessionmaker[Session],
) -> None:
    """Sent on Monday; on Tuesday the schedule becomes Fridays: not again this Friday, and
    next Friday's tells the eleven days since Monday's, the Wednesday between included."""
    units = units_of_work(sessions)
    declared(units, MONDAY - timedelta(days=2), MONDAY + timedelta(days=2))
    chat = FakeChat()
    clock = Clock(MONDAY - timedelta(days=1))
    monday = Bot(units, chat, clock, weekly(9), "a")
    monday.digests.arm()
    monday.at(MONDAY + timedelta(hours=9))
    clock.now = MONDAY + timedelta(days=1)
    friday = Bot(units, chat, clock, weekly(9, weekday=4), "b")

    assert friday.digests.arm() == MONDAY + timedelta(days=11, hours=9)
    friday.at(MONDAY + timedelta(days=4, hours=9))
    friday.at(MONDAY + timedelta(days=11, hours=9))

    assert told(chat) == ["Weekly incident digest: 1 incident(s)"] * 2
    assert len(chat.posted) == 2


@pytest.mark.db
def test_after_weeks_down_only_the_latest_digest_is_sent_telling_the_week_before_it(
    sessions: sessionmaker[Session],
) -> None:
    units = units_of_work(sessions)
    declared(units, MONDAY - timedelta(days=20), MONDAY + timedelta(days=25))
    chat = FakeChat()
    clock = Clock(MONDAY - timedelta(days=1))
    bot = Bot(units, chat, clock, weekly(9), "a")
    bot.digests.arm()
    bot.at(MONDAY + timedelta(hours=9))  # tells nothing: the first incident is 20 days old
    clock.now = MONDAY + timedelta(days=27)  # a month down: restarted on Thursday
    bot.digests.arm()
    bot.at(MONDAY + timedelta(days=28, hours=9))  # week 13's, a month late, arms week 16's
    bot.at(MONDAY + timedelta(days=28, hours=9, seconds=1))

    assert told(chat) == [
        "Weekly incident digest: 0 incident(s)",
        "Weekly incident digest: 1 incident(s)",
    ]


@pytest.mark.db
def test_a_digest_channel_slack_refuses_is_one_warning_per_try_not_a_traceback(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    units = units_of_work(sessions)
    chat = FakeChat()
    chat.fail("post", times=2)
    bot = Bot(units, chat, Clock(MONDAY - timedelta(days=1)), weekly(9), "a")
    bot.digests.arm()

    bot.at(MONDAY + timedelta(hours=9))

    [failed] = [r for r in caplog.records if "owed work failed" in r.getMessage()]
    assert failed.levelname == "WARNING" and failed.exc_info is None
    assert "digest" in failed.getMessage()
    assert pending_digests(sessions)[0][0] == "digest@2026-W12"  # tried again later
