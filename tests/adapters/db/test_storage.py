"""The storage contract: the same suite on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import migrate
from bot.adapters.db.deadlines import Deadlines
from bot.adapters.db.deploys import Deploys
from bot.adapters.db.facts import Facts
from bot.adapters.db.incidents import IncidentNotFound, Incidents
from bot.adapters.db.postmortems import Postmortems
from bot.adapters.db.status_updates import PostedUpdates, StatusUpdate
from bot.adapters.db.tables import IncidentRow, TimerRow
from bot.adapters.db.timers import Timers
from bot.adapters.db.types import NaiveDatetimeError
from bot.core import deadlines, lifecycle
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.model import Event, EventKind, Severity
from bot.core.rollback import Deploy
from bot.core.timers import Purpose, TimerSpec
from tests.core.timelines import SHIPPED, T0, at

Sessions = sessionmaker[Session]


def declaration(severity: Severity = Severity.SEV1, title: str = "checkout 500s") -> Event:
    return Event(
        1,
        T0,
        EventKind.DECLARED,
        "U_DECLARER",
        severity=severity,
        text=title,
        extra={"services": "checkout"},
    )


def declare(sessions: Sessions, **kwargs: str) -> int:
    with sessions.begin() as session:
        return Incidents(session).declare(declaration(), **kwargs).id


def test_runs_on_the_database_it_was_asked_for(engine: Engine) -> None:
    wanted = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert engine.dialect.name == wanted


def test_migrations_are_at_head(engine: Engine) -> None:
    assert migrate.current(engine) == migrate.head(engine) == "0020"
    assert migrate.is_current(engine)


def test_declaring_stores_the_incident_and_its_first_event(sessions: Sessions) -> None:
    incident_id = declare(sessions, description="carts fail")
    with sessions() as session:
        stored = Incidents(session).get(incident_id)
        events = Incidents(session).timeline.events(incident_id)
    assert stored.incident.title == "checkout 500s"
    assert stored.incident.severity is Severity.SEV1
    assert stored.incident.services == ("checkout",)
    assert stored.description == "carts fail"
    assert events == [declaration()]


def test_a_title_longer_than_500_in_slacks_markup_is_stored_whole(
    sessions: Sessions,
) -> None:
    title = "R&amp;D &lt;-&gt; Ops " * 60  # 1,380 characters: the column holds 2,000 (0020)
    with sessions.begin() as session:
        incident_id = Incidents(session).declare(declaration(title=title)).id
    with sessions() as session:
        assert Incidents(session).get(incident_id).incident.title == title


def test_events_round_trip_with_every_field(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    update = Event(
        0,
        at(3),
        EventKind.STATUS_UPDATE_POSTED,
        "U_IC",
        subject="U_X",
        next_update=timedelta(minutes=30),
        text="We are aware",
        extra={"k": "v"},
    )
    with sessions.begin() as session:
        stored, _ = Incidents(session).record(incident_id, update)
    assert stored.seq == 2
    with sessions() as session:
        assert Incidents(session).timeline.events(incident_id)[1] == stored


def test_recording_refreshes_the_snapshot_row(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    with sessions.begin() as session:
        incidents = Incidents(session)
        incidents.record(
            incident_id, Event(0, at(1), EventKind.COMMANDER_ASSIGNED, "U_A", subject="U_IC")
        )
        incidents.record(incident_id, Event(0, at(2), EventKind.ACKNOWLEDGED, "U_B"))
        incidents.record(incident_id, Event(0, at(9), EventKind.RESOLVED, "U_IC"))
    with sessions() as session:
        stored = Incidents(session).get(incident_id)
        row = session.get(IncidentRow, incident_id)
        assert row is not None
        assert (row.state, row.commander, row.updated_at) == ("resolved", "U_IC", at(9))
        assert Incidents(session).open() == []
    assert stored.incident.responders == {"U_IC", "U_B"}
    assert stored.incident.state is lifecycle.State.RESOLVED


def test_an_illegal_move_writes_nothing(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    with pytest.raises(lifecycle.IllegalTransition), sessions.begin() as session:
        Incidents(session).record(incident_id, Event(0, at(1), EventKind.CLOSED, "U_A"))
    with sessions() as session:
        assert len(Incidents(session).timeline.events(incident_id)) == 1
        assert Incidents(session).get(incident_id).incident.state is lifecycle.State.INVESTIGATING


def test_lookups_by_channel_request_key_and_missing_ids(sessions: Sessions) -> None:
    incident_id = declare(sessions, request_key="T1:trigger-123")
    with sessions.begin() as session:
        Incidents(session).attach_channel(incident_id, "C123", "inc-20260314-1-checkout")
        Incidents(session).attach_card(incident_id, "1700000000.000100")
    with sessions() as session:
        incidents = Incidents(session)
        by_channel = incidents.by_channel("C123")
        assert by_channel is not None
        assert (by_channel.id, by_channel.card_ts) == (incident_id, "1700000000.000100")
        assert incidents.by_request_key("T1:trigger-123") is not None
        assert incidents.by_channel("C999") is None
        with pytest.raises(IncidentNotFound, match="no incident 999"):
            incidents.get(999)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 14, 3, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 13, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
    ids=["utc-microseconds", "new-york", "india"],
)
def test_timestamps_come_back_aware_utc_and_equal(sessions: Sessions, moment: datetime) -> None:
    with sessions.begin() as session:
        Deploys(session).record(Deploy("checkout", "v1", moment), source="test", recorded_at=moment)
    with sessions() as session:
        (stored,) = Deploys(session).recent(moment + timedelta(minutes=1), timedelta(hours=1))
    assert stored.finished_at == moment
    assert stored.finished_at.utcoffset() == timedelta(0)
    assert stored.finished_at.tzinfo is UTC


def test_naive_timestamps_are_refused(sessions: Sessions) -> None:
    with pytest.raises(StatementError) as raised, sessions.begin() as session:
        Deploys(session).record(
            Deploy("checkout", "v1", datetime(2026, 1, 1)), source="test", recorded_at=T0
        )
    assert isinstance(raised.value.orig, NaiveDatetimeError)


def test_deploys_dedupe_by_delivery_and_query_by_window(sessions: Sessions) -> None:
    with sessions.begin() as session:
        deploys = Deploys(session)
        assert deploys.record(
            Deploy("checkout", "v1", at(-300)), source="webhook", recorded_at=T0, delivery_key="d-1"
        )
        assert not deploys.record(
            Deploy("checkout", "v1", at(-300)), source="webhook", recorded_at=T0, delivery_key="d-1"
        )
        deploys.record(Deploy("checkout", "v2", at(-40)), source="cli", recorded_at=T0)
        deploys.record(Deploy("search", "v9", at(-10)), source="cli", recorded_at=T0)
    with sessions() as session:
        deploys = Deploys(session)
        window = deploys.between({"checkout"}, at(-240), T0)
        assert [d.version for d in window] == ["v2"]
        assert [d.version for d in deploys.recent(T0, timedelta(hours=6))] == ["v9", "v2", "v1"]
        assert [d.version for d in deploys.recent(T0, timedelta(hours=6), "checkout")] == [
            "v2",
            "v1",
        ]


def test_status_updates_keep_their_parts_and_order(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    first = StatusUpdate(
        at(10),
        "U_IC",
        "checkout errors",
        "5% of traffic",
        "rolling back",
        timedelta(minutes=30),
        "We are aware of checkout errors.",
    )
    second = StatusUpdate(
        at(40),
        "U_IC",
        "less",
        "1% of traffic",
        "watching",
        timedelta(hours=1),
        "We are aware of less.",
    )
    with sessions.begin() as session:
        PostedUpdates(session).add(incident_id, second)
        PostedUpdates(session).add(incident_id, first)
    with sessions() as session:
        assert PostedUpdates(session).for_incident(incident_id) == [first, second]


def test_deadlines_mirror_the_core_and_overdue_finds_pending_ones(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    with sessions.begin() as session:
        Deadlines(session).sync(incident_id, deadlines.plan([declaration()], SHIPPED, at(0)))
    acked = [
        declaration(),
        Event(2, at(1), EventKind.COMMANDER_ASSIGNED, "U", subject="U_IC"),
        Event(3, at(2), EventKind.ACKNOWLEDGED, "U_B"),
    ]
    recomputed = deadlines.plan(acked, SHIPPED, at(6))
    with sessions.begin() as session:
        Deadlines(session).sync(incident_id, recomputed)
    with sessions() as session:
        stored = Deadlines(session).for_incident(incident_id)
        overdue = Deadlines(session).overdue(at(16))
    assert [(d.key, d.status) for d in stored] == [
        ("assemble@1", DeadlineStatus.MET),
        ("status_update@1", DeadlineStatus.PENDING),
    ]
    assert stored[0].met_at == at(2)
    assert [(i, d.key) for i, d in overdue] == [(incident_id, "status_update@1")]


def test_postmortem_draft_then_publication(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    with sessions.begin() as session:
        assert Postmortems(session).get(incident_id) is None
        Postmortems(session).drafted(incident_id, "# draft 1", at(100))
        Postmortems(session).drafted(incident_id, "# draft 2", at(200))
        Postmortems(session).published(incident_id, "https://wiki/pm/1", "U_IC", at(2000))
    with sessions() as session:
        postmortem = Postmortems(session).get(incident_id)
    assert postmortem is not None
    assert (postmortem.draft, postmortem.drafted_at) == ("# draft 2", at(200))
    assert (postmortem.published_url, postmortem.published_at) == (
        "https://wiki/pm/1",
        at(2000),
    )


def test_the_timeline_refuses_a_duplicate_sequence_number(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    with pytest.raises(Exception, match=r"(?i)unique"), sessions.begin() as session:
        Incidents(session).timeline.append(incident_id, declaration(), "")
    with sessions() as session:
        assert session.scalar(select(IncidentRow.id)) == incident_id


def test_a_fact_is_set_once_however_many_replicas_set_it_at_once(sessions: Sessions) -> None:
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def put(n: int) -> None:
        start.wait()
        try:
            with sessions.begin() as session:
                Facts(session).put("timers_planned_by", f"fingerprint-{n}", at(n))
        except BaseException as failure:  # a replica that fails to start is the bug
            failures.append(failure)

    replicas = [threading.Thread(target=put, args=(n,)) for n in range(4)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join()
    assert failures == []
    with sessions.begin() as session:
        assert Facts(session).get("timers_planned_by") in {f"fingerprint-{n}" for n in range(4)}
        Facts(session).put("timers_planned_by", "newer", at(9))
        assert Facts(session).get("timers_planned_by") == "newer"  # read back in the same session


def test_a_claim_is_renewed_only_by_its_holder_and_only_while_held(sessions: Sessions) -> None:
    incident_id = declare(sessions)
    lease = timedelta(seconds=20)
    with sessions.begin() as session:
        Timers(session).sync(incident_id, [TimerSpec("t:due", "t", Purpose.DUE, at(0))])
    with sessions.begin() as session:
        [timer] = Timers(session).claim(at(0), "replica-a", lease)
    with sessions.begin() as session:
        timers = Timers(session)
        assert timers.renew(timer.id, "replica-a", at(0) + timedelta(seconds=50))
        assert not timers.renew(timer.id, "replica-b", at(0) + timedelta(seconds=90))
        assert timers.claim(at(0) + timedelta(seconds=30), "replica-b", lease) == []  # renewed
    with sessions.begin() as session:
        [taken] = Timers(session).claim(at(0) + timedelta(seconds=51), "replica-b", lease)
    assert (taken.id, taken.attempts) == (timer.id, 2)
    with sessions.begin() as session:
        timers = Timers(session)
        assert not timers.renew(timer.id, "replica-a", at(1))  # taken over
        assert timers.finish(timer.id, "replica-b", at(1))
        assert not timers.renew(timer.id, "replica-b", at(2))  # finished
    with sessions() as session:
        row = session.scalars(select(TimerRow).where(TimerRow.id == timer.id)).one()
    assert (row.status, row.claimed_by, row.lease_until) == ("fired", "replica-b", None)
