"""When the weekly digest is due: exact datetimes, across a clock change."""

from __future__ import annotations

from datetime import UTC, datetime, time
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


def test_the_key_names_the_send_and_is_read_back() -> None:
    due = datetime(2026, 3, 16, 8, tzinfo=UTC)

    assert digest.key(due) == "digest@2026-03-16T08:00:00+00:00"
    assert digest.due_of(digest.key(due)) == due
    assert digest.due_of("stakeholders") is None
    assert digest.due_of("digest@soon") is None
