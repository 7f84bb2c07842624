"""What may happen once is held by the database: a delivery claim, a timeline entry's key."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.deliveries import Deliveries
from bot.adapters.db.incidents import Incidents
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Event, EventKind
from bot.services.ports import Conflict
from tests.adapters.db.test_storage import declare
from tests.core.timelines import T0


def test_a_delivery_is_claimed_once_and_forgotten_later(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assert Deliveries(session).claim("event:T1:Ev1", T0) is True
    with sessions.begin() as session:
        assert Deliveries(session).claim("event:T1:Ev1", T0) is False
        assert Deliveries(session).claim("event:T1:Ev2", T0 + timedelta(days=2)) is True
    with sessions.begin() as session:
        assert Deliveries(session).forget_before(T0 + timedelta(days=1)) == 1
    with sessions.begin() as session:
        assert Deliveries(session).claim("event:T1:Ev1", T0) is True


def test_racing_claims_have_one_winner(sessions: sessionmaker[Session]) -> None:
    ready = threading.Barrier(4)
    won: list[bool] = []

    def claim() -> None:
        ready.wait()
        with units_of_work(sessions)() as uow:
            won.append(uow.deliveries.claim("command:T1:trigger", T0))
            uow.commit()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_a_second_entry_with_the_same_once_key_is_refused_by_the_database(
    sessions: sessionmaker[Session],
) -> None:
    incident_id = declare(sessions)
    note = Event(0, T0, EventKind.NOTE_ADDED, "U0BOB", text="pinned")
    for seq in (2, 3):  # as if two writers had not seen each other: no lock, no check
        with pytest.raises(Conflict) if seq == 3 else nullcontext(), sessions.begin() as session:
            incidents = Incidents(session)
            stored = incidents.get(incident_id)
            event = replace(note, seq=seq)
            incidents.append(incident_id, event, stored.incident, once="note:1:111.1:0")
    with sessions() as session:
        kinds = [e.kind for e in Incidents(session).timeline.events(incident_id)]
    assert kinds.count(EventKind.NOTE_ADDED) == 1
