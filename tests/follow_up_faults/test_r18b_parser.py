"""Reviewer r18b: a text made of a change word and a follow-up number (in either order, ``#n``
or ``n.`` too, plus what that change takes) is a change, never a new follow-up; a number of
any length is a number; a time spelled out is a due date. (The new follow-ups r18b typed,
due dates before or after the owner and quotes closed by their match, are cases of
test_near_miss_changes.py.)"""

from __future__ import annotations

import pytest

from bot.adapters.slack.commands import UsageError
from bot.adapters.slack.follow_up_commands import follow_up
from bot.core.follow_ups import due_from
from tests.core.timelines import T0
from tests.follow_up_faults.test_near_miss_changes import BOB, _Verb


@pytest.mark.parametrize(
    ("typed", "words", "user"),
    [
        (f"assign 1 to {BOB}", ("owner", "1", ""), "U0BOB"),
        (f"reassign 1 to {BOB}", ("owner", "1", ""), "U0BOB"),
        (f"1 owner to {BOB}", ("owner", "1", ""), "U0BOB"),
        ("mark 1 done", ("done", "1", ""), None),
        ("mark #2 as done", ("done", "2", ""), None),
        ("1. done", ("done", "1", ""), None),
        ("done 1.", ("done", "1", ""), None),
        ("due 1 in 7d", ("due", "1", "7d"), None),
        ("1 due by 2026-04-01", ("due", "1", "2026-04-01"), None),
        ("1 due in 3 days", ("due", "1", "3 days"), None),
    ],
)
def test_a_change_word_and_a_number_is_a_change(
    typed: str, words: tuple[str, ...], user: str | None
) -> None:
    command = follow_up(_Verb(), typed)
    assert (command.words, command.user) == (words, user)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("drop 1", "say why"),
        ("owner 1 @dave", "is not a mention of a person"),
        ("assign 1 to dave", "is not a mention of a person"),
        ("assign 2 engineers", None),
        ("cancel 1", "say why"),
        ("edit 1", "say what must be done"),
        ("99999999999 done", "no follow-up 99999999999"),
        ("done 123456789012345678901234567890", "no follow-up 1234567890"),
    ],
)
def test_a_change_missing_its_part_is_answered_not_added(typed: str, said: str | None) -> None:
    if said is None:  # words to add: no one is named
        assert follow_up(_Verb(), typed).words == ("add", "")
        return
    with pytest.raises(UsageError) as refused:
        follow_up(_Verb(), typed)
    assert said in str(refused.value)


@pytest.mark.parametrize(("typed", "days"), [("7 days", 7), ("2 weeks", 14), ("1 day", 1)])
def test_a_time_spelled_out_is_a_due_date(typed: str, days: int) -> None:
    assert (due_from(typed, T0) - T0).days == days
