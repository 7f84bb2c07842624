"""Escalation repeats: a missed deadline still unmet is escalated again on the playbook's grid,
step by step, until it is met, replaced or the incident is closed (shipped Sev1: every 15 min,
owner, then group, then page; its post-mortem every day, owner then group)."""

from datetime import datetime, timedelta

import pytest

from bot.core import deadlines, timers
from bot.core.deadlines import Deadline, Escalation
from bot.core.model import EventKind, Severity
from bot.core.policy import EscalationRule, Rung
from tests.core.timelines import SHIPPED, Timeline, at

MISS = 5 + 1 / 60  # just after the Sev1 team-assembled deadline, when its miss is recorded


def missed(timeline: Timeline, minute: float, key: str = "assemble@1") -> Timeline:
    return timeline.add(minute, EventKind.DEADLINE_MISSED, extra={"deadline": key})


def escalated(timeline: Timeline, minute: float, key: str = "assemble@1") -> Timeline:
    return timeline.add(minute, EventKind.DEADLINE_ESCALATED, extra={"deadline": key})


def assemble(timeline: Timeline, minute: float) -> Deadline:
    planned = deadlines.plan(timeline.events, SHIPPED, at(minute))
    return next(d for d in planned if d.key == "assemble@1")


def test_nothing_is_escalated_before_the_miss_is_recorded() -> None:
    assert assemble(Timeline(), 6).next_escalation is None


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], Escalation(1, Rung.OWNER, at(20))),
        ([20], Escalation(2, Rung.GROUP, at(35))),
        ([20, 35], Escalation(3, Rung.PAGE, at(50))),
        ([20, 35, 50], Escalation(4, Rung.PAGE, at(65))),  # the last step, again and again
        ([20, 35, 50, 65, 80], Escalation(6, Rung.PAGE, at(95))),
    ],
)
def test_each_escalation_comes_every_15_minutes_after_the_due_time(
    taken: list[float], expected: Escalation
) -> None:
    timeline = missed(Timeline(), MISS)
    for minute in taken:
        escalated(timeline, minute + 1 / 60)
    assert assemble(timeline, (taken or [MISS])[-1] + 0.1).next_escalation == expected


def test_a_bot_that_was_down_escalates_once_on_its_return_then_keeps_the_grid() -> None:
    timeline = escalated(missed(Timeline(), MISS), 71)  # down from 6 to 71: steps 20..65 slept
    assert assemble(timeline, 71).next_escalation == Escalation(2, Rung.GROUP, at(80))


@pytest.mark.parametrize(
    ("after", "why"),
    [
        (lambda t: t.commander(25, "U_IC").ack(25, "U_BOB"), "met late"),
        (lambda t: t.add(25, EventKind.RESOLVED), "resolved: its clocks end"),
        (lambda t: t.severity(25, Severity.SEV2), "replaced by the new severity's"),
    ],
)
def test_escalation_stops_when_the_deadline_is_met_or_ends(after: object, why: str) -> None:
    timeline = escalated(missed(Timeline(), MISS), 20)
    after(timeline)  # type: ignore[operator]
    deadline = assemble(timeline, 26)
    assert deadline.next_escalation is None, why
    assert deadline.escalated == 1
    assert not [t for t in timers.wanted([deadline]) if t.purpose is timers.Purpose.ESCALATE]


def test_a_missed_post_mortem_is_chased_daily_until_published_or_closed() -> None:
    timeline = Timeline().commander(1, "U_IC").ack(1, "U_BOB").add(30, EventKind.RESOLVED)
    due = 30 + 48 * 60
    missed(timeline, due + 1, "postmortem@4")

    def postmortem(minute: float) -> Deadline:
        planned = deadlines.plan(timeline.events, SHIPPED, at(minute))
        return next(d for d in planned if d.key == "postmortem@4")

    assert postmortem(due + 2).next_escalation == Escalation(1, Rung.OWNER, at(due + 24 * 60))
    timeline.add(due + 60, EventKind.CLOSED)
    assert postmortem(due + 61).next_escalation is None


def test_the_timer_of_the_next_escalation_is_keyed_by_its_step() -> None:
    deadline = assemble(escalated(missed(Timeline(), MISS), 20), 21)
    wanted = [t for t in timers.wanted([deadline]) if t.purpose is timers.Purpose.ESCALATE]
    assert [(t.key, t.fire_at) for t in wanted] == [("assemble@1:escalate#2", at(35))]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (at(5), at(15)),  # at the due time: the first point after it
        (at(14), at(15)),
        (at(15), at(25)),  # on a point: the next one
        (at(47), at(55)),
        (at(-3), at(15)),  # never before the first point
    ],
)
def test_escalations_fall_on_the_grid_of_the_due_time(after: datetime, expected: datetime) -> None:
    rule = EscalationRule(timedelta(minutes=10), (Rung.OWNER,))
    assert deadlines.escalation_after(rule, at(5), 1, after).at == expected
