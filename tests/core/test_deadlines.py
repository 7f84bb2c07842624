"""The protocol's deadlines, rule by rule, against the shipped playbooks (PROTOCOL.md)."""

from datetime import timedelta

import pytest

from bot.core import deadlines
from bot.core.deadline_kinds import DeadlineKind as Kind
from bot.core.deadline_kinds import DeadlineStatus as Status
from bot.core.deadlines import AWAITS_TELLING, Deadline
from bot.core.model import EventKind, Severity
from tests.core.timelines import SHIPPED, Timeline, at

SECOND = timedelta(seconds=1)


def plan(timeline: Timeline, minute: float) -> dict[str, Deadline]:
    return {d.key: d for d in deadlines.plan(timeline.events, SHIPPED, at(minute))}


def only(timeline: Timeline, minute: float, kind: Kind) -> Deadline:
    found = [d for d in plan(timeline, minute).values() if d.kind is kind]
    assert len(found) == 1, found
    return found[0]


# --- Severity 1 -------------------------------------------------------------------------------


def test_sev1_declaration_opens_5_minute_assembly_and_15_minute_first_update() -> None:
    planned = plan(Timeline(Severity.SEV1), 0)
    assert {k: (d.kind, d.due_at, d.status) for k, d in planned.items()} == {
        "assemble@1": (Kind.ASSEMBLE, at(5), Status.PENDING),
        "status_update@1": (Kind.STATUS_UPDATE, at(15), Status.PENDING),
    }


def test_sev1_team_assembled_means_commander_and_two_people() -> None:
    timeline = Timeline().commander(1, "U_IC").ack(3, "U_BOB")
    deadline = only(timeline, 10, Kind.ASSEMBLE)
    assert (deadline.status, deadline.met_at) == (Status.MET, at(3))


@pytest.mark.parametrize(
    ("timeline", "why"),
    [
        (Timeline().commander(1, "U_IC"), "a commander alone is one person"),
        (Timeline().ack(1, "U_BOB").join(2, "U_CAROL"), "two people but no commander"),
        (Timeline().commander(1, "U_IC").ack(2, "U_IC"), "the commander counts once"),
        (Timeline().ack(1, "U_BOB").ack(2, "U_BOB").commander(3, "U_BOB"), "one person, thrice"),
    ],
)
def test_sev1_not_assembled(timeline: Timeline, why: str) -> None:
    assert only(timeline, 4.9, Kind.ASSEMBLE).status is Status.PENDING, why
    assert only(timeline, 5 + 1 / 60, Kind.ASSEMBLE).status is Status.MISSED, why


def test_sev1_assembled_exactly_at_5_minutes_is_met() -> None:
    timeline = Timeline().commander(0.5, "U_IC").join(5, "U_BOB")
    deadline = only(timeline, 60, Kind.ASSEMBLE)
    assert (deadline.status, deadline.late_by) == (Status.MET, None)


def test_sev1_assembled_one_second_late_is_missed_and_says_how_late() -> None:
    timeline = Timeline().commander(0.5, "U_IC").join(5 + 1 / 60, "U_BOB")
    deadline = only(timeline, 60, Kind.ASSEMBLE)
    assert (deadline.status, deadline.met_at, deadline.late_by) == (
        Status.MISSED,
        at(5) + SECOND,
        SECOND,
    )


def test_a_deadline_is_pending_at_its_due_instant_and_missed_just_after() -> None:
    timeline = Timeline()
    assert only(timeline, 5, Kind.ASSEMBLE).status is Status.PENDING
    assert only(timeline, 5 + 1 / 60, Kind.ASSEMBLE).status is Status.MISSED


def test_sev1_first_status_update_missed_after_15_minutes() -> None:
    assert only(Timeline(), 15, Kind.STATUS_UPDATE).status is Status.PENDING
    assert only(Timeline(), 15.02, Kind.STATUS_UPDATE).status is Status.MISSED


# --- Severity 2 -------------------------------------------------------------------------------


def test_sev2_declaration_opens_15_minute_response_and_30_minute_first_update() -> None:
    planned = plan(Timeline(Severity.SEV2), 0)
    assert {k: (d.kind, d.due_at) for k, d in planned.items()} == {
        "respond@1": (Kind.RESPOND, at(15)),
        "status_update@1": (Kind.STATUS_UPDATE, at(30)),
    }


def test_sev2_on_call_responds_by_acknowledging_without_a_commander() -> None:
    deadline = only(Timeline(Severity.SEV2).ack(14, "U_ONCALL"), 20, Kind.RESPOND)
    assert (deadline.status, deadline.met_at) == (Status.MET, at(14))


def test_sev2_joining_the_channel_is_not_responding() -> None:
    timeline = Timeline(Severity.SEV2).join(1, "U_ONCALL")
    assert only(timeline, 16, Kind.RESPOND).status is Status.MISSED


# --- Severity 3 -------------------------------------------------------------------------------


def test_sev3_has_no_deadlines_at_all() -> None:
    timeline = Timeline(Severity.SEV3).update(5, timedelta(minutes=30))
    timeline.add(10, EventKind.RESOLVED)
    assert plan(timeline, 60 * 72) == {}


# --- Status updates ---------------------------------------------------------------------------


def test_each_update_meets_the_pending_one_and_its_promise_is_the_next_deadline() -> None:
    timeline = Timeline().update(10, timedelta(minutes=30)).update(35, timedelta(hours=1))
    planned = plan(timeline, 36)
    assert [
        (d.key, d.status, d.due_at) for d in planned.values() if d.kind is Kind.STATUS_UPDATE
    ] == [
        ("status_update@1", Status.MET, at(15)),
        ("status_update@2", Status.MET, at(40)),
        ("status_update@3", Status.PENDING, at(95)),
    ]


def test_a_late_update_misses_the_deadline_and_still_sets_the_next_one() -> None:
    planned = plan(Timeline().update(20, timedelta(minutes=15)), 21)
    first, second = planned["status_update@1"], planned["status_update@2"]
    assert (first.status, first.late_by) == (Status.MISSED, timedelta(minutes=5))
    assert (second.status, second.due_at) == (Status.PENDING, at(35))


def awaiting(timeline: Timeline, minute: float, next_in: timedelta) -> Timeline:
    """A status update recorded as the bot records it now: met when stakeholders are told."""
    marked = {AWAITS_TELLING: "yes"}
    return timeline.add(minute, EventKind.STATUS_UPDATE_POSTED, next_update=next_in, extra=marked)


def told(timeline: Timeline, minute: float, update_seq: int) -> Timeline:
    return timeline.add(minute, EventKind.STAKEHOLDERS_TOLD, extra={"update": str(update_seq)})


def test_an_update_meets_the_deadline_when_stakeholders_are_told_not_when_typed() -> None:
    timeline = awaiting(Timeline(), 10, timedelta(minutes=30))  # update is seq 2
    assert plan(timeline, 11)["status_update@1"].status is Status.PENDING
    assert plan(timeline, 16)["status_update@1"].status is Status.MISSED  # never told
    told(timeline, 12, 2)
    met = plan(timeline, 16)["status_update@1"]
    assert (met.status, met.met_at) == (Status.MET, at(12))
    assert plan(timeline, 16)["status_update@2"].status is Status.PENDING  # its own promise


def test_an_update_told_later_meets_every_deadline_opened_before_it() -> None:
    timeline = awaiting(Timeline(), 10, timedelta(minutes=10))  # seq 2, never told
    awaiting(timeline, 30, timedelta(minutes=30))  # seq 3
    told(timeline, 31, 3)
    planned = plan(timeline, 32)
    assert (planned["status_update@1"].status, planned["status_update@1"].late_by) == (
        Status.MISSED,
        timedelta(minutes=16),
    )
    assert planned["status_update@2"].late_by == timedelta(minutes=11)
    assert planned["status_update@3"].status is Status.PENDING


def test_an_update_recorded_before_telling_counted_met_its_deadline_when_typed() -> None:
    planned = plan(Timeline().update(10, timedelta(minutes=30)), 11)
    assert planned["status_update@1"].met_at == at(10)


def test_reminders_come_the_playbooks_lead_time_before_the_due_time() -> None:
    planned = plan(Timeline(), 0)
    assert planned["assemble@1"].reminders == (at(3),)
    assert planned["status_update@1"].reminders == (at(10),)


def test_a_reminder_that_would_come_before_the_deadline_opened_is_dropped() -> None:
    planned = plan(Timeline().update(1, timedelta(minutes=3)), 1)
    assert planned["status_update@2"].reminders == ()


# --- Resolution and post-mortem ----------------------------------------------------------------


def test_sev1_post_mortem_due_48_hours_after_resolution() -> None:
    timeline = Timeline().commander(1, "U_IC").ack(2, "U_B").add(60, EventKind.RESOLVED)
    deadline = only(timeline, 61, Kind.POSTMORTEM)
    assert (deadline.due_at, deadline.status) == (at(60) + timedelta(hours=48), Status.PENDING)
    assert deadline.reminders == (at(60) + timedelta(hours=24), at(60) + timedelta(hours=44))


def test_resolution_cancels_the_response_and_update_clocks() -> None:
    planned = plan(Timeline().add(3, EventKind.RESOLVED), 60)
    assert (planned["assemble@1"].status, planned["assemble@1"].cancelled_at) == (
        Status.CANCELLED,
        at(3),
    )
    assert planned["status_update@1"].status is Status.CANCELLED


def test_post_mortem_published_in_time_is_met_and_late_is_missed() -> None:
    resolved = Timeline().add(60, EventKind.RESOLVED)
    in_time = resolved.add(60 * 47, EventKind.POSTMORTEM_PUBLISHED)
    assert only(in_time, 60 * 50, Kind.POSTMORTEM).status is Status.MET
    late = Timeline().add(60, EventKind.RESOLVED).add(60 * 50, EventKind.POSTMORTEM_PUBLISHED)
    deadline = only(late, 60 * 51, Kind.POSTMORTEM)
    assert (deadline.status, deadline.late_by) == (Status.MISSED, timedelta(hours=1))


def test_sev2_post_mortem_is_optional_by_default() -> None:
    timeline = Timeline(Severity.SEV2).add(30, EventKind.RESOLVED)
    assert [d for d in plan(timeline, 31).values() if d.kind is Kind.POSTMORTEM] == []


def test_reopening_cancels_the_post_mortem_and_restarts_status_updates() -> None:
    timeline = Timeline().add(60, EventKind.RESOLVED).add(90, EventKind.REOPENED)
    planned = plan(timeline, 91)
    assert planned["postmortem@2"].status is Status.CANCELLED
    assert (planned["status_update@3"].status, planned["status_update@3"].due_at) == (
        Status.PENDING,
        at(105),
    )


# --- Severity changes ---------------------------------------------------------------------------


def test_escalating_recomputes_from_the_new_playbook_counted_from_the_change() -> None:
    planned = plan(Timeline(Severity.SEV2).severity(10, Severity.SEV1), 11)
    assert {k: (d.status, d.due_at) for k, d in planned.items()} == {
        "respond@1": (Status.CANCELLED, at(15)),
        "status_update@1": (Status.CANCELLED, at(30)),
        "assemble@2": (Status.PENDING, at(15)),
        "status_update@2": (Status.PENDING, at(25)),
    }


def test_met_and_missed_deadlines_keep_their_record_across_a_severity_change() -> None:
    timeline = Timeline().commander(1, "U_IC").ack(2, "U_B").severity(20, Severity.SEV2)
    planned = plan(timeline, 21)
    assert planned["assemble@1"].status is Status.MET
    assert planned["status_update@1"].status is Status.MISSED


def test_a_response_already_given_meets_the_new_deadline_at_the_change() -> None:
    timeline = Timeline(Severity.SEV1).ack(1, "U_B").severity(3, Severity.SEV2)
    deadline = plan(timeline, 3)["respond@3"]
    assert (deadline.status, deadline.met_at) == (Status.MET, at(3))


def test_downgrading_to_sev3_cancels_pending_deadlines_and_opens_none() -> None:
    planned = plan(Timeline().severity(2, Severity.SEV3), 120)
    assert {d.status for d in planned.values()} == {Status.CANCELLED}
    assert len(planned) == 2


# --- Reading the plan ---------------------------------------------------------------------------


def test_events_after_now_are_not_seen_yet() -> None:
    timeline = Timeline().commander(1, "U_IC").ack(4, "U_B")
    assert only(timeline, 3, Kind.ASSEMBLE).status is Status.PENDING
    assert only(timeline, 4, Kind.ASSEMBLE).status is Status.MET


def test_next_due_is_the_earliest_pending_deadline() -> None:
    planned = deadlines.plan(Timeline().commander(1, "U_IC").ack(2, "U_B").events, SHIPPED, at(3))
    chosen = deadlines.next_due(planned)
    assert chosen is not None
    assert chosen.key == "status_update@1"
    assert (
        deadlines.next_due(deadlines.plan(Timeline(Severity.SEV3).events, SHIPPED, at(1))) is None
    )
