"""Insights checked against values computed by hand on a fixed set of incidents
(tests/support/insights.py describes them)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import insights
from bot.core.deadline_kinds import DeadlineKind as K
from bot.core.insights import Grouping, Metric, Record, Scope, Stats, Tally
from bot.core.model import Severity
from tests.core.timelines import T0
from tests.support.insights import NOW, incident_a, incident_b, incident_c, records


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (incident_a(), [minutes(7), minutes(7), minutes(12), minutes(20), minutes(100)]),
        (incident_b(), [minutes(25), minutes(25), None, None, minutes(60)]),
        (incident_c(), [minutes(5), None, None, None, None]),
    ],
    ids=["reopened", "severity flip-flop", "open sev3"],
)
def test_each_clock_stops_where_its_definition_says(
    record: Record, expected: list[timedelta | None]
) -> None:
    assert [measure(record) for measure in insights.MEASURES.values()] == expected


def test_the_mitigation_told_to_stakeholders_is_not_a_status_update() -> None:
    without_update = incident_a()
    events = tuple(e for e in without_update.events if e.seq not in (6, 7))
    trimmed = Record(1, without_update.incident, events, without_update.deadlines)

    assert insights.time_to_first_update(trimmed) is None


def test_statistics_are_mean_median_and_nearest_rank_p90() -> None:
    values = [minutes(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 100)]

    assert insights.stats(values) == Stats(10, minutes(14.5), minutes(5.5), minutes(9))
    assert insights.stats([]) == Stats(0)
    assert insights.stats([minutes(3)]) == Stats(1, minutes(3), minutes(3), minutes(3))


def test_the_summary_of_the_fixed_incidents() -> None:
    summary = insights.summarize(records())

    assert summary.incidents == 3
    assert summary.by_severity == {Severity.SEV1: 1, Severity.SEV2: 1, Severity.SEV3: 1}
    assert summary.metrics[Metric.ACKNOWLEDGE] == Stats(
        3, timedelta(minutes=37 / 3), minutes(7), minutes(25)
    )
    assert summary.metrics[Metric.RESOLVE] == Stats(2, minutes(80), minutes(80), minutes(100))
    assert summary.metrics[Metric.FIRST_UPDATE] == Stats(1, minutes(12), minutes(12), minutes(12))


def test_deadlines_met_and_missed_per_kind_and_severity() -> None:
    # A: assembled at 7 (due 5): missed; its first update told at 12 (due 15): met; the
    # update due 55 after the reopening, unmet at the resolution at 100: missed; the
    # post-mortem due 48 h after it: pending; the follow-up done before it was due: met.
    # B: its Sev1 deadlines opened at 3 were replaced at 4, before they fell due (not
    # counted); the Sev2 response due 19 met at 25 and the update due 34 replaced by the
    # resolution at 60: both missed.
    assert insights.deadline_tallies(records()) == {
        (K.ASSEMBLE, Severity.SEV1): Tally(0, 1, 0),
        (K.FOLLOW_UP, Severity.SEV1): Tally(1, 0, 0),
        (K.POSTMORTEM, Severity.SEV1): Tally(0, 1, 0),
        (K.RESPOND, Severity.SEV2): Tally(0, 1, 0),
        (K.STATUS_UPDATE, Severity.SEV1): Tally(1, 1, 0),
        (K.STATUS_UPDATE, Severity.SEV2): Tally(0, 1, 0),
    }
    summary = insights.summarize(records())
    assert summary.deadlines_of(K.STATUS_UPDATE) == Tally(1, 2, 0)
    assert summary.deadlines_of(K.STATUS_UPDATE).met_share == pytest.approx(1 / 3)
    assert Tally().met_share is None


def test_rollback_advice_counts_the_last_decision_per_deploy() -> None:
    assert insights.rollbacks(records()) == insights.Rollbacks(taken=1, set_aside=1)


@pytest.mark.parametrize(
    ("grouping", "expected"),
    [
        (Grouping.SEVERITY, {"Sev1": 1, "Sev2": 1, "Sev3": 1}),
        (Grouping.SERVICE, {"checkout": 2, "search": 1}),
        (Grouping.WEEK, {"2026-03-09": 2, "2026-03-16": 1}),
        (Grouping.MONTH, {"2026-03": 3}),
    ],
)
def test_breakdowns(grouping: Grouping, expected: dict[str, int]) -> None:
    found = insights.breakdown(records(), grouping)

    assert {group: summary.incidents for group, summary in found.items()} == expected


def test_an_incident_with_no_service_is_grouped_as_none_named() -> None:
    a = incident_a()
    bare = Record(1, a.incident.__class__(**{**a.incident.__dict__, "services": ()}), a.events, ())

    assert list(insights.breakdown([bare], Grouping.SERVICE)) == [insights.NO_SERVICE]


def test_a_scope_selects_by_time_severity_and_service() -> None:
    everything = Scope(T0, NOW)

    assert [r.id for r in insights.select(records(), everything)] == [1, 2, 3]
    assert [r.id for r in insights.select(records(), Scope(T0 + timedelta(days=1), NOW))] == [3]
    sev = Scope(T0, NOW, severities=frozenset({Severity.SEV2}))
    assert [r.id for r in insights.select(records(), sev)] == [2]
    service = Scope(T0, NOW, services=frozenset({"checkout"}))
    assert [r.id for r in insights.select(records(), service)] == [1, 3]


@pytest.mark.parametrize(
    ("moved_at", "done_at", "dropped", "expected"),
    [
        (90, 150, False, Tally(met=0, missed=1)),  # moved after its due date passed: missed
        (30, 150, False, Tally(met=1, missed=0)),  # moved before: on time by the new date
        (None, 50, False, Tally(met=1, missed=0)),
        (None, 70, False, Tally(met=0, missed=1)),  # done late
        (30, None, True, Tally()),  # dropped before it fell due: not counted
        (90, None, False, Tally(met=0, missed=1, pending=0)),  # moved late, still open
    ],
)
def test_a_follow_up_counts_once_as_its_draft_says(
    moved_at: int | None, done_at: int | None, dropped: bool, expected: Tally
) -> None:
    """Due at minute 60; its due date maybe moved to minute 200, then maybe done or dropped.
    The insights' tally and the post-mortem draft's "done on time" agree."""
    from bot.core import deadlines, follow_ups, model
    from bot.core.model import EventKind
    from tests.core.timelines import SHIPPED, Timeline, at

    t = Timeline(Severity.SEV2).add(1, EventKind.RESOLVED)
    first_due, later_due = at(60).isoformat(), at(200).isoformat()
    t.add(2, EventKind.FOLLOW_UP_ADDED, subject="U_BOB", text="retries", extra={"due": first_due})
    if moved_at is not None:
        t.add(moved_at, EventKind.FOLLOW_UP_CHANGED, extra={"follow_up": "1", "due": later_due})
    if done_at is not None:
        t.add(done_at, EventKind.FOLLOW_UP_DONE, extra={"follow_up": "1"})
    if dropped:
        t.add(40, EventKind.FOLLOW_UP_DROPPED, extra={"follow_up": "1"})
    events = tuple(t.events)
    now = at(300)
    record = Record(1, model.replay(events), events, deadlines.plan(events, SHIPPED, now))

    tally = insights.deadline_tallies([record]).get((K.FOLLOW_UP, Severity.SEV2), Tally())

    assert tally == expected
    [follow_up] = follow_ups.follow_ups(events)
    assert follow_up.done_on_time == (expected.met == 1)
