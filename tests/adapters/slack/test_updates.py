"""The one-line status update: every field parsed, and a missing or malformed one named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.slack import updates


def test_a_complete_line() -> None:
    form = updates.parse_line(
        'impact="checkout errors" affected=1200 action="rolling back" next=1h30m'
    )
    assert (form.impact, form.affected, form.action, form.next_update, form.errors) == (
        "checkout errors",
        "1,200 users",
        "rolling back",
        timedelta(minutes=90),
        {},
    )


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        ('affected=5% action="x" next=30m', "impact", "Say the impact"),
        ('impact="x" affected=lots action="x" next=30m', "affected", "share of traffic (5%)"),
        ('impact="x" affected=5% next=30m', "action", "Say the action"),
        ('impact="x" affected=5% action="x" next=soon', "next", "such as 30s, 5m"),
        ('impact="x" affected=5% action="x" next=30m colour=red', "line", "unknown field"),
        ('impact="unclosed affected=5%', "line", "quote text with spaces"),
    ],
)
def test_a_bad_line_names_the_field(line: str, field: str, says: str) -> None:
    errors = updates.parse_line(line).errors
    assert field in errors
    assert says in errors[field]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("5%", "5% of traffic"),
        ("12.5 % of traffic", "12.5% of traffic"),
        ("1", "1 user"),
        ("1,200 users", "1,200 users"),
        ("300 customers", "300 users"),
    ],
)
def test_affected_is_written_the_protocols_way(typed: str, shown: str) -> None:
    assert updates.affected(typed) == shown
