"""The timer burst path checked from outside: three replicas and slash commands on the same
incidents say and record each notice once, and every recorded miss and escalation is told to
on_recorded (the card's refresh)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

from bot.adapters.db import audit
from bot.adapters.db.timers import Timers, TimerStatus
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from tests.services.timer_support import Recorder, Sessions, VirtualClock, declare


def test_three_replicas_and_commands_on_the_same_incidents_say_and_record_each_notice_once(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    incidents = [declare(service) for _ in range(20)]
    now = clock.at(20)
    replicas = [
        TimerRunner(
            units_of_work(sessions),
            service,
            recorder,
            owner=f"r{n}",
            parallel=3,
            lease=timedelta(seconds=20),
        )
        for n in range(3)
    ]
    outcomes: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def tick(runner: TimerRunner) -> None:
        try:
            outcomes.extend(f.outcome for f in runner.tick(now, batch=6))
        except BaseException as e:
            errors.append(e)

    def commands() -> None:  # slash commands locking the same incidents meanwhile
        while not stop.is_set():
            try:
                service.record(random.choice(incidents), EventKind.NOTE_ADDED, "U0BOB", text="n")
            except BaseException as e:
                errors.append(e)

    typist = threading.Thread(target=commands)
    typist.start()
    threads = [threading.Thread(target=tick, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    typist.join()
    assert errors == []
    said = Counter((i, key) for kind, i, key, _ in recorder.said if kind == "overdue")
    assert set(said.values()) == {1} and len(said) == 40
    for incident in incidents:
        misses = [
            e.extra["deadline"]
            for e in service.get(incident).events
            if e.kind is EventKind.DEADLINE_MISSED
        ]
        assert sorted(misses) == ["assemble@1", "status_update@1"]
    with sessions() as session:
        assert audit.verify(session) == []
        assert Timers(session).count(TimerStatus.CLAIMED) == 0


def test_a_burst_tells_on_recorded_of_every_miss_and_escalation_recorded(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    incidents = [declare(service) for _ in range(8)]
    told: list[int] = []
    lock = threading.Lock()

    def on_recorded(incident_id: int) -> None:
        with lock:
            told.append(incident_id)

    runner = TimerRunner(
        units_of_work(sessions), service, recorder, owner="a", parallel=3, on_recorded=on_recorded
    )
    runner.tick(clock.at(20), batch=5)
    runner.tick(clock.at(120), batch=5)
    for incident in incidents:
        events = service.get(incident).events
        kinds = Counter(e.kind for e in events)
        recorded = kinds[EventKind.DEADLINE_MISSED] + kinds[EventKind.DEADLINE_ESCALATED]
        assert kinds[EventKind.DEADLINE_ESCALATED] >= 1
        assert told.count(incident) >= 1
        escalations = Counter(
            (e.extra["deadline"], e.extra["step"])
            for e in events
            if e.kind is EventKind.DEADLINE_ESCALATED
        )
        assert set(escalations.values()) == {1}
        assert recorded >= 3
    said = Counter((w, i, k) for w, i, k, _ in recorder.said)
    assert set(said.values()) == {1}
