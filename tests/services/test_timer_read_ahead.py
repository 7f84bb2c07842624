"""A burst's firings act on their incidents read together as the burst was claimed, while
that read is fresh (``READ_AHEAD_SECONDS``), and read their own after it or when it failed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from bot.services.ports import StorageUnavailable
from bot.services.read_model import IncidentView
from bot.services.timers import READ_AHEAD_SECONDS, TimerRunner
from tests.services.lease_support import Stopwatch
from tests.services.timer_support import Recorder, Sessions, VirtualClock, declare


@pytest.fixture
def reads(service: IncidentService, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the service was asked for one incident, and for many."""
    counted = {"get": 0, "get_many": 0}
    get, get_many = service.get, service.get_many

    def one(incident_id: int, now: datetime | None = None) -> IncidentView:
        counted["get"] += 1
        return get(incident_id, now)

    def many(incident_ids: Collection[int], now: datetime) -> dict[int, IncidentView]:
        counted["get_many"] += 1
        return get_many(incident_ids, now)

    monkeypatch.setattr(service, "get", one)
    monkeypatch.setattr(service, "get_many", many)
    return counted


def runner(
    sessions: Sessions, service: IncidentService, recorder: Recorder, stopwatch: Stopwatch
) -> TimerRunner:
    return TimerRunner(
        units_of_work(sessions),
        service,
        recorder,
        owner="a",
        lease=timedelta(seconds=20),
        parallel=1,  # one firing after another, in the order claimed
        stopwatch=stopwatch,
    )


def test_a_bursts_firings_read_their_incidents_once_together(
    sessions: Sessions,
    service: IncidentService,
    recorder: Recorder,
    clock: VirtualClock,
    reads: dict[str, int],
) -> None:
    incidents = [declare(service) for _ in range(6)]
    reads.update(get=0, get_many=0)
    fired = runner(sessions, service, recorder, Stopwatch()).tick(clock.at(6))
    said = sorted(i for kind, i, key, _ in recorder.said if key == "assemble@1")
    assert said == incidents
    assert len(fired) > len(incidents)  # their reminders too: still one read
    assert reads == {"get": 0, "get_many": 1}


def test_a_deadline_met_after_a_stale_read_ahead_is_not_announced(
    sessions: Sessions,
    service: IncidentService,
    recorder: Recorder,
    clock: VirtualClock,
) -> None:
    """The second incident's team assembles as its deadline falls due (recorded while the
    first notice is said, which Slack made wait past READ_AHEAD_SECONDS): its firing reads it
    again and finds nothing owed."""
    first, second = declare(service), declare(service)
    stopwatch = Stopwatch()

    def slow(view: IncidentView) -> None:
        if view.id == first:
            stopwatch.seconds += READ_AHEAD_SECONDS + 1
            service.record(second, EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB")
            service.record(second, EventKind.ACKNOWLEDGED, "U0CAROL")

    recorder.before_saying = slow
    runner(sessions, service, recorder, stopwatch).tick(clock.at(6))
    assert [i for _, i, key, _ in recorder.said if key == "assemble@1"] == [first]


def test_a_read_ahead_within_its_freshness_is_what_the_firing_acts_on(
    sessions: Sessions,
    service: IncidentService,
    recorder: Recorder,
    clock: VirtualClock,
    reads: dict[str, int],
) -> None:
    """Within READ_AHEAD_SECONDS the batch's read stands: the same as a firing that read its
    incident itself just before Slack made it wait that long."""
    for _ in range(2):
        declare(service)
    stopwatch = Stopwatch()

    def quick(_: IncidentView) -> None:
        stopwatch.seconds += READ_AHEAD_SECONDS / 4

    recorder.before_saying = quick
    reads.update(get=0, get_many=0)
    runner(sessions, service, recorder, stopwatch).tick(clock.at(6))
    assert len(recorder.keys("overdue")) == 2
    assert reads == {"get": 0, "get_many": 1}


def test_a_failed_read_ahead_leaves_each_firing_to_read_its_own(
    sessions: Sessions,
    service: IncidentService,
    recorder: Recorder,
    clock: VirtualClock,
    reads: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incidents = [declare(service) for _ in range(3)]

    def down(incident_ids: Collection[int], now: datetime) -> dict[int, IncidentView]:
        raise StorageUnavailable("database is locked")

    monkeypatch.setattr(service, "get_many", down)
    reads.update(get=0)
    runner(sessions, service, recorder, Stopwatch()).tick(clock.at(6))
    assert sorted(i for _, i, key, _ in recorder.said if key == "assemble@1") == incidents
    assert reads["get"] == len(incidents) * 2  # each firing (a reminder and a notice) reads


def test_get_many_reads_the_incidents_named_that_exist(
    service: IncidentService, clock: VirtualClock
) -> None:
    first, second = declare(service), declare(service)
    views = service.get_many([second, first, 999], clock())
    assert sorted(views) == [first, second]
    assert views[first] == service.get(first, clock())
    assert service.get_many([], clock()) == {}


def test_an_incident_that_cannot_be_read_holds_back_no_others_notice(
    sessions: Sessions, service: IncidentService, recorder: Recorder, clock: VirtualClock
) -> None:
    """An entry this build does not know (a newer replica's, mid-deploy) fails the batch's read:
    each firing then reads its own, and only that incident's fail (found by an outside review:
    the whole batch used to stop, tick after tick)."""
    incidents = [declare(service) for _ in range(4)]
    unreadable = incidents[1]
    with sessions() as session:
        session.execute(
            text("UPDATE events SET kind = 'from_a_newer_bot' WHERE incident_id = :i AND seq = 1"),
            {"i": unreadable},
        )
        session.commit()
    runner(sessions, service, recorder, Stopwatch()).tick(clock.at(6))
    said = sorted(i for _, i, key, _ in recorder.said if key == "assemble@1")
    assert said == [i for i in incidents if i != unreadable]
