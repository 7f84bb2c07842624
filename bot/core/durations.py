"""Strict parsing and formatting of protocol durations such as ``5m``, ``48h`` or ``1h30m``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PATTERN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
EXAMPLE = "a whole number followed by s, m, h or d, such as 30s, 5m, 48h or 1h30m"


class DurationError(ValueError):
    """A text that is not a protocol duration."""

    def __init__(self, text: object) -> None:
        super().__init__(f"{text!r} is not a duration: expected {EXAMPLE}")
        self.text = text


LONGEST = timedelta(days=999_999_999)
"""The longest duration Python can hold (``99999999999d`` would overflow); each use bounds it
far tighter and says so."""


def parse(text: str) -> timedelta:
    """Parse ``text`` into a positive timedelta of at most ``LONGEST``; raise DurationError
    for anything else."""
    if not isinstance(text, str):
        raise DurationError(text)
    match = _PATTERN.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise DurationError(text)
    seconds = sum(
        int(amount) * _UNITS[unit]
        for amount, unit in zip(match.groups(), _UNITS, strict=True)
        if amount is not None
    )
    if seconds <= 0 or seconds > LONGEST.total_seconds():
        raise DurationError(text)
    return timedelta(seconds=seconds)


def compact(delta: timedelta) -> str:
    """Format a timedelta the way the protocol writes it: ``1h30m``, ``45m``, ``30s``."""
    total = int(delta.total_seconds())
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def humanize(delta: timedelta) -> str:
    """Say a duration for people: ``47 minutes``, ``3 hours 59 minutes``, ``30 seconds``.
    Over a minute, seconds are dropped by rounding up, never down, whether the time is gone by
    (acknowledged after 5m59s: "6 minutes"; met 1m01s late: "2 minutes late") or still to come
    (no one is promised less time than they have)."""
    seconds = math.ceil(abs(delta.total_seconds()))
    if seconds < 60:
        return _plural(seconds, "second")
    days, rest = divmod(math.ceil(seconds / 60) * 60, 86400)
    hours, rest = divmod(rest, 3600)
    named = [(days, "day"), (hours, "hour"), (rest // 60, "minute")]
    return " ".join(_plural(n, unit) for n, unit in named if n)


def say(delta: timedelta) -> str:
    """Say a duration exactly, as typed: ``1 minute 30 seconds``, ``2 hours``, ``1 day``."""
    total = math.ceil(abs(delta.total_seconds()))
    parts = []
    for unit, size in zip(("day", "hour", "minute", "second"), _UNITS.values(), strict=True):
        amount, total = divmod(total, size)
        if amount:
            parts.append(_plural(amount, unit))
    return " ".join(parts) or "0 seconds"


def _plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"
