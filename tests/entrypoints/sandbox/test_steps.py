"""Parsing what a sandbox user types: pure, so every form and every mistake is checked here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.entrypoints.sandbox import steps


@pytest.mark.parametrize(
    ("line", "step"),
    [
        ("/incident sev1 checkout 500s", steps.Slash("sev1 checkout 500s")),
        ("/INCIDENT", steps.Slash("")),
        ("as @bob", steps.ActAs("bob")),
        ("as payments-oncall", steps.ActAs("payments-oncall")),
        ("in #inc-20260314-1", steps.GoTo("inc-20260314-1")),
        ("press 12", steps.Press(12)),
        ("wait 1h30m", steps.Wait(timedelta(hours=1, minutes=30))),
        ("wait until 03:30", steps.WaitUntil(time(3, 30), None)),
        ("wait until 2026-03-15 7:05", steps.WaitUntil(time(7, 5), date(2026, 3, 15))),
        ("deploy Checkout v42", steps.Deploy("checkout", "v42")),
        ("dependency 127.0.0.1:6379 DOWN", steps.SetDependency("127.0.0.1:6379", False)),
        ("show #incidents", steps.Show("incidents")),
        ("report", steps.Report(timedelta(days=90))),
        ("report 7d", steps.Report(timedelta(days=7))),
        ("expect Roll back now", steps.Expect("Roll back now", False)),
        ('expect no "Overdue"', steps.Expect("Overdue", True)),
        ("exit", steps.Simple("quit")),
        ("  help  ", steps.Simple("help")),
    ],
)
def test_each_step_parses(line: str, step: steps.Step) -> None:
    assert steps.parse(line, UTC) == step


def test_blank_lines_and_comments_are_no_step() -> None:
    assert steps.parse("", UTC) is None
    assert steps.parse("   ", UTC) is None
    assert steps.parse("# the team turns up late", UTC) is None


def test_the_start_is_read_in_the_sandbox_timezone() -> None:
    paris = ZoneInfo("Europe/Paris")
    step = steps.parse("at 2026-07-01 09:00", paris)
    assert step == steps.StartAt(datetime(2026, 7, 1, 9, 0, tzinfo=paris))
    assert isinstance(step, steps.StartAt)
    assert step.moment.astimezone(UTC).hour == 7


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("frobnicate", "`frobnicate` is not a sandbox step; type `help` for the list"),
        ("/deploy x", "the bot answers `/incident` only"),
        ("press", "press a button by its number"),
        ("press 0", "press a button by its number"),
        ("press two", "press a button by its number"),
        ("wait -5m", "time only moves forward"),
        ("wait 5 minutes", "is not a duration"),
        ("wait 0m", "is not a duration"),
        ("wait until later", "is not a time"),
        ("wait until 25:00", "is not a time"),
        ("wait until 2026-02-30 10:00", "is not a time"),
        ("at 03:00", "give a date and a time"),
        ("as", "name one person"),
        ("in #two words", "name one channel"),
        ("deploy checkout", "name the service and the version"),
        ("dependency db:5432 sideways", "up or down"),
        ("expect", "say what the output must contain"),
        ("report last week", "type `report`, `report 30d`"),
        ("report 99999d", "ten years at most"),
        ("help me", "`help` takes nothing after it"),
    ],
)
def test_a_mistake_says_what_to_type_instead(line: str, says: str) -> None:
    with pytest.raises(steps.BadInput) as caught:
        steps.parse(line, UTC)
    assert says in str(caught.value)


def test_a_long_unknown_word_is_cut_in_the_message() -> None:
    with pytest.raises(steps.BadInput) as caught:
        steps.parse("x" * 500, UTC)
    assert len(str(caught.value)) < 120
