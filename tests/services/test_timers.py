"""The protocol's timers under a virtual clock: what fires, when, and only once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db import audit
from bot.adapters.db.incidents import Incidents
from bot.adapters.db.tables import TimerRow
from bot.adapters.db.timers import Timers, TimerStatus
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Event, EventKind, Severity
from bot.core.timers import MISSED_AFTER
from bot.services.delivery import Reach
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from tests.core.timelines import SHIPPED, T0
from tests.services.timer_support import Recorder, Sessions, VirtualClock, declare


def timers_of(sessions: Sessions, incident_id: int) -> dict[str, tuple[datetime, str]]:
    with sessions() as session:
        rows = session.scalars(
            select(TimerRow).where(TimerRow.incident_id == incident_id, TimerRow.purpose != "setup")
        )
        return {row.key: (row.fire_at, row.status) for row in rows}


def test_declaring_schedules_due_times_and_reminders_from_the_playbook(
    service: IncidentService, sessions: Sessions
) -> None:
    incident = declare(service)
    assert timers_of(sessions, incident) == {
        "assemble@1:due": (T0 + timedelta(minutes=5) + MISSED_AFTER, "pending"),
        "assemble@1:remind@20260314T030300": (T0 + timedelta(minutes=3), "pending"),
        "status_update@1:due": (T0 + timedelta(minutes=15) + MISSED_AFTER, "pending"),
        "status_update@1:remind@20260314T031000": (T0 + timedelta(minutes=10), "pending"),
    }


def test_a_timer_run_at_the_very_moment_it_is_due_announces_the_miss(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    """Met exactly on time is met, so the due firing must come after, never find it pending."""
    incident = declare(service)
    runner.tick(clock.at(3))
    clock.now = timers_of(sessions, incident)["assemble@1:due"][0]
    fired = runner.tick(clock.now)
    assert [(f.timer.key, f.outcome) for f in fired] == [("assemble@1:due", "fired")]
    assert [kind for kind, *_ in recorder.said] == ["remind", "overdue"]


def test_sev3_schedules_nothing(service: IncidentService, sessions: Sessions) -> None:
    assert timers_of(sessions, declare(service, Severity.SEV3)) == {}


def test_reminder_then_overdue_each_fire_once(
    service: IncidentService, runner: TimerRunner, recorder: Recorder, clock: VirtualClock
) -> None:
    incident = declare(service)
    assert runner.tick(clock.at(2.9)) == []
    assert [f.outcome for f in runner.tick(clock.at(3))] == ["fired"]
    assert runner.tick(clock.at(4)) == []
    fired = runner.tick(clock.at(5 + 1 / 60))
    assert [(f.timer.key, f.outcome) for f in fired] == [("assemble@1:due", "fired")]
    assert runner.tick(clock.at(6)) == []
    assert recorder.keys() == ["assemble@1", "assemble@1"]
    assert [kind for kind, *_ in recorder.said] == ["remind", "overdue"]
    events = service.get(incident).events
    missed = [e for e in events if e.kind is EventKind.DEADLINE_MISSED]
    assert [(e.extra["deadline"], e.actor) for e in missed] == [("assemble@1", "incident-bot")]


def test_meeting_a_deadline_cancels_its_timers(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    incident = declare(service)
    clock.at(1)
    service.record(incident, EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB")
    service.record(incident, EventKind.ACKNOWLEDGED, "U0CAROL")
    runner.tick(clock.at(30))
    assert "assemble@1" not in recorder.keys("overdue")
    statuses = {key: status for key, (_, status) in timers_of(sessions, incident).items()}
    assert statuses["assemble@1:due"] == "cancelled"
    assert statuses["status_update@1:due"] == "fired"


def test_each_status_update_moves_the_next_deadline(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    incident = declare(service)
    clock.at(12)
    service.record(
        incident, EventKind.STATUS_UPDATE_POSTED, "U0BOB", next_update=timedelta(minutes=30)
    )
    timers = timers_of(sessions, incident)
    assert timers["status_update@2:due"] == (T0 + timedelta(minutes=42) + MISSED_AFTER, "pending")
    assert timers["status_update@1:due"][1] == "cancelled"
    runner.tick(clock.at(37))
    runner.tick(clock.at(42.5))
    assert [(kind, key) for kind, _, key, _ in recorder.said if key.startswith("status")] == [
        ("remind", "status_update@2"),
        ("overdue", "status_update@2"),
    ]


def test_a_severity_change_reschedules_from_the_change(
    service: IncidentService, sessions: Sessions, clock: VirtualClock
) -> None:
    incident = declare(service, Severity.SEV2)
    clock.at(10)
    service.record(incident, EventKind.SEVERITY_CHANGED, "U0BOB", severity=Severity.SEV1)
    timers = timers_of(sessions, incident)
    assert timers["respond@1:due"][1] == "cancelled"
    assert timers["assemble@2:due"] == (T0 + timedelta(minutes=15) + MISSED_AFTER, "pending")
    assert timers["status_update@2:due"] == (T0 + timedelta(minutes=25) + MISSED_AFTER, "pending")


def test_after_downtime_everything_missed_fires_once_saying_how_late(
    service: IncidentService, runner: TimerRunner, recorder: Recorder, clock: VirtualClock
) -> None:
    declare(service)
    fired = runner.tick(clock.at(60))  # the first tick after an hour down
    outcomes = {(f.timer.key, f.outcome): f.lateness for f in fired}
    assert outcomes == {
        ("assemble@1:remind@20260314T030300", "skipped"): timedelta(minutes=57),
        ("assemble@1:due", "fired"): timedelta(minutes=55) - MISSED_AFTER,
        ("status_update@1:remind@20260314T031000", "skipped"): timedelta(minutes=50),
        ("status_update@1:due", "fired"): timedelta(minutes=45) - MISSED_AFTER,
    }
    assert sorted(recorder.keys("overdue")) == ["assemble@1", "status_update@1"]
    assert runner.tick(clock.at(61)) == []


def test_resolution_schedules_the_post_mortem_and_its_reminders(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    incident = declare(service)
    clock.at(30)
    service.record(incident, EventKind.RESOLVED, "U0BOB")
    resolved = T0 + timedelta(minutes=30)
    timers = {k: v for k, v in timers_of(sessions, incident).items() if k.startswith("post")}
    assert sorted(at for at, _ in timers.values()) == [
        resolved + timedelta(hours=24),
        resolved + timedelta(hours=44),
        resolved + timedelta(hours=48) + MISSED_AFTER,
    ]
    runner.tick(clock.at(30 + 24 * 60))
    runner.tick(clock.at(30 + 48 * 60 + 1))
    assert [(k, key) for k, _, key, _ in recorder.said if key.startswith("post")] == [
        ("remind", "postmortem@2"),
        ("overdue", "postmortem@2"),
    ]


def test_a_failed_announcement_is_retried_within_seconds_not_after_the_lease(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    # The firing takes no time on this runner's stopwatch: the backoff is counted from the
    # virtual clock alone, however slowly a busy machine runs the firing.
    runner = TimerRunner(
        units_of_work(sessions), service, recorder, owner="replica-a", stopwatch=lambda: 0.0
    )
    declare(service, Severity.SEV2)
    recorder.failures = 2
    failed_at = clock.at(15.1)
    first = {f.timer.key: f.outcome for f in runner.tick(failed_at)}
    assert first == {"respond@1:remind@20260314T031000": "skipped", "respond@1:due": "retrying"}
    assert runner.tick(failed_at + timedelta(seconds=0.9)) == []  # backing off: 1 s ...
    again = failed_at + timedelta(seconds=1.1)
    assert [f.outcome for f in runner.tick(again)] == ["retrying"]
    assert runner.tick(again + timedelta(seconds=1.9)) == []  # ... then 2 s (the lease is 20 s)
    assert [f.outcome for f in runner.tick(again + timedelta(seconds=2.1))] == ["fired"]
    assert recorder.keys("overdue") == ["respond@1"]


def test_a_miss_no_one_could_be_told_of_is_recorded_when_the_firing_gives_up(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    incident = declare(service, Severity.SEV2)
    service.record(incident, EventKind.ACKNOWLEDGED, "U0BOB")  # only the status update is due
    recorder.failures = 99
    outcomes = [
        f.outcome
        for minute in range(31, 40)
        for f in runner.tick(clock.at(minute))
        if f.timer.key == "status_update@1:due"
    ]
    assert outcomes == ["retrying"] * (runner.max_attempts - 1) + ["undelivered"]
    assert timers_of(sessions, incident)["status_update@1:due"][1] == "failed"
    [missed] = [e for e in service.get(incident).events if e.kind is EventKind.DEADLINE_MISSED]
    assert missed.extra["deadline"] == "status_update@1"
    assert missed.extra["reached"] == "nobody"
    assert "gave up after 8 tries: Slack is down" in missed.extra["undelivered"]


def test_a_dead_holders_message_is_found_again_not_repeated(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    incident = declare(service, Severity.SEV2)
    now = clock.at(16)
    with sessions.begin() as session:  # replica B claims both timers ...
        Timers(session).claim(now, "replica-b", timedelta(seconds=20))
    # ... posts the overdue message (Slack has it, tagged) and dies before noting it.
    recorder.tags[f"{incident}:respond@1:due"] = "B's message"
    assert runner.tick(clock.at(16.2)) == []  # B's lease still holds
    fired = {f.timer.key: f.outcome for f in runner.tick(clock.at(16.5))}
    assert fired == {"respond@1:due": "fired", "respond@1:remind@20260314T031000": "skipped"}
    assert recorder.said == []  # found in Slack, not said twice
    missed = [e for e in service.get(incident).events if e.kind is EventKind.DEADLINE_MISSED]
    assert len(missed) == 1
    with sessions() as session:
        row = session.scalars(select(TimerRow).where(TimerRow.key == "respond@1:due")).one()
    assert (row.posted, row.status, row.attempts) == ("B's message", "fired", 2)


def test_a_holder_that_died_before_saying_it_is_replaced_by_the_next(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    sessions: Sessions,
) -> None:
    declare(service, Severity.SEV2)
    now = clock.at(16)
    with sessions.begin() as session:
        Timers(session).claim(now, "replica-b", timedelta(seconds=5))
    runner.tick(clock.at(16.2))
    assert recorder.keys("overdue") == ["respond@1"]


def test_two_replicas_ticking_together_fire_each_timer_once(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    incidents = [declare(service) for _ in range(15)]
    replicas = [
        TimerRunner(units_of_work(sessions), service, recorder, owner=f"replica-{n}") for n in "ab"
    ]
    now = clock.at(20)
    outcomes: list[str] = []

    def work(runner: TimerRunner) -> None:
        fired = runner.tick(now)
        outcomes.extend(f.outcome for f in fired)

    threads = [threading.Thread(target=work, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(recorder.keys("overdue")) == sorted(["assemble@1", "status_update@1"] * 15)
    assert len(outcomes) == 15 * 4
    with sessions() as session:
        pending = session.scalars(select(TimerRow.purpose).where(TimerRow.status == "pending"))
        assert list(pending) == ["escalate"] * 30  # each miss's next escalation, still to come
        assert Timers(session).count(TimerStatus.CLAIMED) == 0
    assert {i for _, i, _, _ in recorder.said} == set(incidents)


def test_reconcile_applies_a_changed_playbook_to_open_incidents(
    sessions: Sessions, service: IncidentService, clock: VirtualClock
) -> None:
    incident = declare(service)
    faster = {**SHIPPED}
    sev1 = SHIPPED[Severity.SEV1]
    assert sev1.response is not None
    from dataclasses import replace

    faster[Severity.SEV1] = replace(
        sev1, response=replace(sev1.response, within=timedelta(minutes=2))
    )
    assert service.reconcile() == 1  # the first start: nothing says how timers were planned
    assert service.reconcile() == 0  # the same playbooks: nothing to redo
    restarted = IncidentService(units_of_work(sessions), faster, clock)
    assert restarted.reconcile() == 1
    assert timers_of(sessions, incident)["assemble@1:due"] == (
        T0 + timedelta(minutes=2) + MISSED_AFTER,
        "pending",
    )


def test_a_burst_of_notices_is_recorded_together_each_once_on_an_intact_audit_chain(
    sessions: Sessions,
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Notices falling due together are recorded in a few transactions by the ticking thread,
    not one each behind the write lock while the other firings wait to say theirs."""
    incidents = [declare(service) for _ in range(12)]
    transactions: list[Session] = []  # one unit of work, one session (kept: ids stay unique)
    append = Incidents.append

    def spy(self: Incidents, incident_id: int, event: Event, *args: Any, **kwargs: Any) -> None:
        if event.kind is EventKind.DEADLINE_MISSED:
            transactions.append(self.session)
        append(self, incident_id, event, *args, **kwargs)

    monkeypatch.setattr(Incidents, "append", spy)
    fired = runner.tick(clock.at(20))
    overdue = sorted((f.timer.incident_id, f.timer.key) for f in fired if f.outcome == "fired")
    assert overdue == sorted(
        (i, key) for i in incidents for key in ("assemble@1:due", "status_update@1:due")
    )
    assert len(transactions) == len(overdue)
    assert len({id(session) for session in transactions}) < len(overdue) / 2
    for incident in incidents:
        misses = [e for e in service.get(incident).events if e.kind is EventKind.DEADLINE_MISSED]
        assert sorted(e.extra["deadline"] for e in misses) == ["assemble@1", "status_update@1"]
    with sessions() as session:
        assert audit.verify(session) == []
        assert Timers(session).count(TimerStatus.CLAIMED) == 0


def test_a_notice_that_cannot_be_recorded_holds_back_no_other(
    service: IncidentService,
    runner: TimerRunner,
    recorder: Recorder,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incidents = [declare(service) for _ in range(6)]
    broken = incidents[2]
    decide = service.decide

    def failing(uow: Any, incident_id: int, event: Event) -> Any:
        if incident_id == broken:
            raise RuntimeError("the database said no")
        return decide(uow, incident_id, event)

    monkeypatch.setattr(service, "decide", failing)
    fired = runner.tick(clock.at(6))  # each incident's team-assembled notice
    outcomes = {f.timer.incident_id: f.outcome for f in fired if f.timer.key == "assemble@1:due"}
    assert outcomes == {i: "retrying" if i == broken else "fired" for i in incidents}
    monkeypatch.setattr(service, "decide", decide)
    again = runner.tick(clock.at(6.1))  # tried again: found said, recorded, not said twice
    assert [(f.timer.incident_id, f.outcome, f.reach) for f in again] == [
        (broken, "fired", Reach.EARLIER)
    ]
    assert recorder.keys("overdue").count("assemble@1") == len(incidents)
    for incident in incidents:
        kinds = [e.kind for e in service.get(incident).events]
        assert kinds.count(EventKind.DEADLINE_MISSED) == 1


def test_a_burst_larger_than_a_batch_fires_whole_in_one_tick_each_once(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    """The next batch is claimed while the last still fires; nothing is claimed twice."""
    incidents = [declare(service) for _ in range(9)]
    runner = TimerRunner(units_of_work(sessions), service, recorder, owner="a", parallel=3)
    fired = runner.tick(clock.at(20), batch=4)
    assert len(fired) == len({f.timer.id for f in fired}) == 9 * 4
    assert sorted(recorder.keys("overdue")) == sorted(["assemble@1", "status_update@1"] * 9)
    for incident in incidents:
        kinds = [e.kind for e in service.get(incident).events]
        assert kinds.count(EventKind.DEADLINE_MISSED) == 2
    with sessions() as session:
        assert audit.verify(session) == []
        assert Timers(session).count(TimerStatus.CLAIMED) == 0
