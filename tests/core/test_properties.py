"""Invariants of the core, checked on generated timelines (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import deadlines, lifecycle, model, rollback
from bot.core.deadline_kinds import DeadlineStatus as Status
from bot.core.model import Event, EventKind, Severity
from tests.core.timelines import SHIPPED, T0, at

PEOPLE = ["U_A", "U_B", "U_C"]
KINDS = [
    EventKind.COMMANDER_ASSIGNED,
    EventKind.ACKNOWLEDGED,
    EventKind.JOINED,
    EventKind.STATUS_UPDATE_POSTED,
    EventKind.SEVERITY_CHANGED,
    EventKind.MITIGATED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
    EventKind.POSTMORTEM_PUBLISHED,
    EventKind.NOTE_ADDED,
]


@st.composite
def timelines(draw: st.DrawFn) -> list[Event]:
    """Lifecycle-valid timelines: a declaration, then events the state allows, in time order."""
    first = Event(1, T0, EventKind.DECLARED, "U_D", severity=draw(st.sampled_from(Severity)))
    events, minute = [first], 0.0
    incident = model.replay(events)
    for _ in range(draw(st.integers(0, 25))):
        minute += draw(st.floats(0, 120, allow_nan=False))
        event = Event(
            len(events) + 1,
            at(round(minute, 3)),
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from(PEOPLE)),
            severity=draw(st.sampled_from(Severity)),
            subject=draw(st.sampled_from(PEOPLE)),
            next_update=timedelta(minutes=draw(st.integers(1, 90))),
        )
        try:
            incident = model.evolve(incident, event)
        except lifecycle.IllegalTransition:
            continue
        events.append(event)
    return events


moments = st.floats(min_value=-10, max_value=60 * 24 * 4, allow_nan=False).map(at)


@given(timelines(), moments)
def test_the_same_inputs_give_the_same_deadlines(events: list[Event], now: datetime) -> None:
    shuffled = list(reversed(events))
    assert deadlines.plan(events, SHIPPED, now) == deadlines.plan(shuffled, SHIPPED, now)


@settings(max_examples=200)
@given(timelines(), moments, moments)
def test_met_never_turns_missed_and_missed_never_turns_met(
    events: list[Event], first: datetime, second: datetime
) -> None:
    earlier, later = sorted([first, second])
    before = {d.key: d for d in deadlines.plan(events, SHIPPED, earlier)}
    after = {d.key: d for d in deadlines.plan(events, SHIPPED, later)}
    assert before.keys() <= after.keys()
    for key, deadline in before.items():
        if deadline.status is not Status.PENDING:
            assert after[key].status is deadline.status, key


@given(timelines(), moments)
def test_keys_are_unique_and_nothing_is_due_before_it_opens(
    events: list[Event], now: datetime
) -> None:
    planned = deadlines.plan(events, SHIPPED, now)
    assert len({d.key for d in planned}) == len(planned)
    for deadline in planned:
        assert deadline.due_at > deadline.opened_at
        assert all(deadline.opened_at < r < deadline.due_at for r in deadline.reminders)
        assert (deadline.status is Status.MET) == (
            deadline.met_at is not None and deadline.met_at <= deadline.due_at
        )


@given(st.sampled_from(lifecycle.State), st.lists(st.sampled_from(lifecycle.Action), max_size=20))
def test_nothing_leaves_a_closed_incident_but_reopen(
    start: lifecycle.State, actions: list[lifecycle.Action]
) -> None:
    state = start
    for action in actions:
        try:
            following = lifecycle.transition(state, action)
        except lifecycle.IllegalTransition:
            continue
        if state is lifecycle.State.CLOSED:
            assert action is lifecycle.Action.REOPEN
            assert following is lifecycle.State.INVESTIGATING
        state = following


ages = st.integers(min_value=-3600 * 6, max_value=3600 * 6).map(lambda s: timedelta(seconds=s))


@given(st.lists(st.tuples(st.sampled_from(["checkout", "search", "accounts"]), ages), max_size=8))
def test_rollback_suspects_are_affected_in_window_and_newest_first(
    deploys: list[tuple[str, timedelta]],
) -> None:
    rule = SHIPPED[Severity.SEV1].rollback
    assert rule is not None
    known = [rollback.Deploy(service, "v", T0 - age) for service, age in deploys]
    recommendation = rollback.recommend(T0, {"checkout", "accounts"}, known, rule)
    ages_seen = [s.age_at_start for s in recommendation.suspects]
    assert ages_seen == sorted(ages_seen)
    for suspect in recommendation.suspects:
        assert suspect.deploy.service in {"checkout", "accounts"}
        assert timedelta(0) <= suspect.age_at_start < rule.window
    in_window = [
        d
        for d in known
        if d.service != "search" and timedelta(0) <= T0 - d.finished_at < rule.window
    ]
    assert recommendation.rolls_back == bool(in_window)
