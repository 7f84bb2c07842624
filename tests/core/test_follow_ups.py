"""Follow-ups from the timeline, and their due dates as deadlines (sev1: 2-day reminder, chased
daily once missed, after the incident is closed too)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import deadlines
from bot.core.deadline_kinds import DeadlineKind as Kind
from bot.core.deadline_kinds import DeadlineStatus as Status
from bot.core.follow_ups import DueError, FollowUpState, TrackerLink, due_from, follow_ups
from bot.core.model import EventKind
from bot.core.policy import Rung
from tests.core.timelines import SHIPPED, T0, Timeline, at

DAY = timedelta(days=1)


def add(timeline: Timeline, minute: float, what: str, owner: str, due_in: timedelta) -> Timeline:
    due = {"due": (T0 + due_in).isoformat()}
    return timeline.add(minute, EventKind.FOLLOW_UP_ADDED, text=what, subject=owner, extra=due)


def about(
    timeline: Timeline, minute: float, kind: EventKind, number: int, **extra: str
) -> Timeline:
    return timeline.add(minute, kind, extra={"follow_up": str(number), **extra})


def follow_up_deadlines(timeline: Timeline, now: timedelta) -> list[deadlines.Deadline]:
    planned = deadlines.plan(timeline.events, SHIPPED, T0 + now)
    return [d for d in planned if d.kind is Kind.FOLLOW_UP]


def test_follow_ups_are_numbered_in_the_order_they_were_added_and_keep_their_story() -> None:
    timeline = add(Timeline(), 10, "add retries to checkout", "U_BOB", 7 * DAY)
    add(timeline, 11, "alert on error budget", "U_CAROL", 14 * DAY)
    about(timeline, 12, EventKind.FOLLOW_UP_CHANGED, 1, owner="U_DAN", what="add retries")
    about(timeline, 13, EventKind.FOLLOW_UP_LINKED, 1, tracker="github", key="a/b#3", url="u")
    about(timeline, 14, EventKind.FOLLOW_UP_DONE, 1)
    timeline.add(15, EventKind.FOLLOW_UP_DROPPED, text="covered by #1", extra={"follow_up": "2"})
    about(timeline, 16, EventKind.FOLLOW_UP_DONE, 7)  # no such follow-up: ignored

    first, second = follow_ups(timeline.events)

    assert (first.number, first.what, first.owner, first.state) == (
        1,
        "add retries",
        "U_DAN",
        FollowUpState.DONE,
    )
    assert first.link == TrackerLink("github", "a/b#3", "u")
    assert first.done_on_time and first.closed_at == at(14)
    assert (second.number, second.state, second.why_not) == (
        2,
        FollowUpState.WONT_DO,
        "covered by #1",
    )
    assert not second.done_on_time


def test_a_follow_ups_due_date_is_a_deadline_reminded_before_and_chased_after() -> None:
    timeline = add(Timeline(), 10, "add retries", "U_BOB", 7 * DAY)

    [pending] = follow_up_deadlines(timeline, timedelta(hours=1))
    assert (pending.status, pending.due_at, pending.owner, pending.follow_up) == (
        Status.PENDING,
        T0 + 7 * DAY,
        "U_BOB",
        1,
    )
    assert pending.reminders == (T0 + 5 * DAY,)

    timeline.add(7 * 24 * 60 + 1, EventKind.DEADLINE_MISSED, extra={"deadline": pending.key})
    timeline.add(7 * 24 * 60 + 2, EventKind.RESOLVED)
    timeline.add(7 * 24 * 60 + 3, EventKind.CLOSED)
    [missed] = follow_up_deadlines(timeline, 7 * DAY + timedelta(minutes=5))
    assert missed.status is Status.MISSED
    assert missed.next_escalation is not None  # a closed incident's follow-up is still chased
    assert (missed.next_escalation.at, missed.next_escalation.rung) == (T0 + 8 * DAY, Rung.OWNER)


def test_done_meets_it_dropped_cancels_it_and_a_new_due_date_replaces_it() -> None:
    timeline = add(Timeline(), 10, "a", "U_BOB", 7 * DAY)
    add(timeline, 10, "b", "U_BOB", 7 * DAY)
    add(timeline, 10, "c", "U_BOB", 7 * DAY)
    about(timeline, 20, EventKind.FOLLOW_UP_DONE, 1)
    about(timeline, 21, EventKind.FOLLOW_UP_DROPPED, 2)
    later = (T0 + 10 * DAY).isoformat()
    about(timeline, 22, EventKind.FOLLOW_UP_CHANGED, 3, due=later, owner="U_CAROL")

    a, b, c_before, c_after = follow_up_deadlines(timeline, 8 * DAY)

    assert (a.status, b.status, c_before.status) == (Status.MET, Status.CANCELLED, Status.CANCELLED)
    assert (c_after.status, c_after.due_at, c_after.owner, c_after.follow_up) == (
        Status.PENDING,
        T0 + 10 * DAY,
        "U_CAROL",
        3,
    )


def test_a_new_owner_alone_keeps_the_deadline_and_readdresses_it() -> None:
    timeline = add(Timeline(), 10, "a", "U_BOB", 7 * DAY)
    about(timeline, 20, EventKind.FOLLOW_UP_CHANGED, 1, owner="U_CAROL")
    [deadline] = follow_up_deadlines(timeline, DAY)
    assert (deadline.key, deadline.owner) == ("follow_up@2", "U_CAROL")


def test_a_lasting_refusal_is_kept_until_the_follow_up_next_changes() -> None:
    timeline = add(Timeline(), 10, "add retries", "U_BOB", 7 * DAY)
    timeline.add(
        11, EventKind.FOLLOW_UP_REFUSED, text="GitHub answered 404", extra={"follow_up": "1"}
    )
    [refused] = follow_ups(timeline.events)
    about(timeline, 12, EventKind.FOLLOW_UP_CHANGED, 1, due=(T0 + 9 * DAY).isoformat())
    [changed] = follow_ups(timeline.events)

    assert refused.refused == "GitHub answered 404" and refused.is_open
    assert changed.refused == ""


@pytest.mark.parametrize(
    ("typed", "ahead"),
    [("52w", timedelta(weeks=52)), ("366d", timedelta(days=366)), ("1h", timedelta(hours=1))],
)
def test_a_due_date_is_within_a_year(typed: str, ahead: timedelta) -> None:
    assert due_from(typed, T0) == T0 + ahead


@pytest.mark.parametrize("typed", ["367d", "999w", "9999-12-31", "53w"])
def test_a_due_date_more_than_a_year_away_is_refused_with_what_to_type(typed: str) -> None:
    with pytest.raises(DueError, match="more than a year away: give a date within a year"):
        due_from(typed, T0)
