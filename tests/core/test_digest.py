"""When the weekly digest is due: exact datetimes, across a clock change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core import digest
from bot.core.digest import Schedule

PARIS = Schedule(0, time(9, 0), ZoneInfo("Europe/Paris"))  # Mondays 09:00, Paris time


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # Winter: Paris is UTC+1.
        (datetime(2026, 3, 11, 12, tzinfo=UTC), datetime(2026, 3, 16, 8, tzinfo=UTC)),
        # Monday 08:00 UTC is 09:00 in Paris: due now is not after now, so next week.
        (datetime(2026, 3, 16, 8, tzinfo=UTC), datetime(2026, 3, 23, 8, tzinfo=UTC)),
        (datetime(2026, 3, 16, 7, 59, tzinfo=UTC), datetime(2026, 3, 16, 8, tzinfo=UTC)),
        # The clocks go forward on 2026-03-29: the next Monday 09:00 is 07:00 UTC.
        (datetime(2026, 3, 23, 9, tzinfo=UTC), datetime(2026, 3, 30, 7, tzinfo=UTC)),
    ],
)
def test_the_next_send_is_the_wall_clock_time_in_the_zone(now: datetime, due: datetime) -> None:
    assert PARIS.next_after(now) == due


def test_a_sunday_evening_in_utc_can_be_monday_morning_elsewhere() -> None:
    tokyo = Schedule(0, time(8, 0), ZoneInfo("Asia/Tokyo"))

    assert tokyo.next_after(datetime(2026, 3, 15, 12, tzinfo=UTC)) == datetime(
        2026, 3, 15, 23, tzinfo=UTC
    )


def test_the_key_names_the_week_and_is_read_back() -> None:
    monday = date(2026, 3, 16)

    assert digest.key(monday) == "digest@2026-W12"
    assert digest.week_of_key(digest.key(monday)) == monday
    assert digest.key(date(2027, 1, 4)) == "digest@2027-W01"
    assert digest.week_of_key("digest@2026-W53") == date(2026, 12, 28)  # 2026 has 53 weeks
    for other in ("stakeholders", "digest@soon", "digest@2026-W54", "digest@2026-03-16"):
        assert digest.week_of_key(other) is None


def test_the_week_is_the_zones_and_its_send_the_wall_clock_time() -> None:
    tokyo = Schedule(0, time(8, 0), ZoneInfo("Asia/Tokyo"))
    sunday_in_utc = datetime(2026, 3, 15, 23, tzinfo=UTC)  # Monday 08:00 in Tokyo

    assert tokyo.week_of(sunday_in_utc) == date(2026, 3, 16)
    assert tokyo.due_in(date(2026, 3, 16)) == sunday_in_utc
    # Paris, after the clocks went forward on 2026-03-29: 09:00 is 07:00 UTC.
    assert PARIS.due_in(date(2026, 3, 30)) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_weeks_abut_across_a_clock_change() -> None:
    """The week before Monday 30 March 09:00 in Paris starts at 09:00 on the 23rd: 167 hours,
    not 168 (which would tell the hour from 08:00 to 09:00 twice)."""
    before = datetime(2026, 3, 23, 8, tzinfo=UTC)
    after = datetime(2026, 3, 30, 7, tzinfo=UTC)

    assert PARIS.span(after, None) == (before, after)
    assert PARIS.span(before, None)[1] == before
    # In autumn the week holds 169 hours.
    start, end = PARIS.span(datetime(2026, 10, 26, 8, tzinfo=UTC), None)
    assert end - start == timedelta(hours=169)


def test_a_digest_tells_the_time_since_the_last_one_up_to_two_weeks() -> None:
    due = datetime(2026, 3, 16, 8, tzinfo=UTC)
    week_before = (datetime(2026, 3, 9, 8, tzinfo=UTC), due)

    # The schedule moved from Wednesdays to Mondays: since Wednesday's, not a week.
    wednesday = datetime(2026, 3, 11, 8, tzinfo=UTC)
    assert PARIS.span(due, wednesday) == (wednesday, due)
    assert PARIS.span(due, due - timedelta(days=13)) == (due - timedelta(days=13), due)
    # None for a month, or one that ends at or after this one: the week before.
    assert PARIS.span(due, due - timedelta(days=30)) == week_before
    assert PARIS.span(due, due) == week_before
