from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1h0m5s", timedelta(seconds=3605)),
        (" 5m ", timedelta(minutes=5)),
    ],
)
def test_parses_protocol_durations(text: str, expected: timedelta) -> None:
    assert durations.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "5", "5 m", "5min", "1.5h", "-5m", "0m", "0s", "m", "30m1h", "5M", "1h 30m", "PT5M"],
)
def test_rejects_anything_else_with_an_example(text: str) -> None:
    with pytest.raises(durations.DurationError, match="expected a whole number followed by s, m"):
        durations.parse(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(minutes=90), "1h30m"), (timedelta(seconds=30), "30s"), (timedelta(hours=48), "2d")],
)
def test_compact_round_trips(delta: timedelta, text: str) -> None:
    assert durations.compact(delta) == text
    assert durations.parse(text) == delta


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=47), "47 minutes"),
        (timedelta(hours=3, minutes=59), "3 hours 59 minutes"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=2, minutes=1), "2 days 1 minute"),
        (timedelta(seconds=90), "2 minutes"),  # rounded up, never down
        (timedelta(minutes=5, seconds=59), "6 minutes"),
        (timedelta(minutes=59, seconds=1), "1 hour"),
        (timedelta(seconds=0.5), "1 second"),
        (timedelta(minutes=5), "5 minutes"),
        (timedelta(seconds=-90), "2 minutes"),
    ],
)
def test_humanize_rounds_up_never_down(delta: timedelta, text: str) -> None:
    assert durations.humanize(delta) == text


@given(seconds=st.floats(0, 10**8, allow_nan=False))
def test_humanize_never_says_less_than_the_time(seconds: float) -> None:
    delta = timedelta(seconds=seconds)
    said, seconds = durations.humanize(delta), delta.total_seconds()
    units = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
    words = said.split()
    total = sum(int(n) * units[u.rstrip("s")] for n, u in zip(words[::2], words[1::2], strict=True))
    assert seconds <= total < seconds + 60


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=90), "1 minute 30 seconds"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(days=1, seconds=1), "1 day 1 second"),
    ],
)
def test_say_is_exact(delta: timedelta, text: str) -> None:
    assert durations.say(delta) == text
