"""What the use-case tests share: a fixed clock, the shipped playbooks, storage on the test DB."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Severity
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.timers import TimerRunner
from tests.core.timelines import SHIPPED, T0
from tests.services.fakes import FakeChat
from tests.services.lease_support import DUE, REMINDED, SlowPager, Stopwatch, replica
from tests.services.timer_support import Recorder, Sessions, VirtualClock

PLAYBOOKS = loader.load(Path(__file__).resolve().parents[2] / "playbooks")


def with_service(playbooks: Playbooks, name: str, **changes: Any) -> Playbooks:
    """``playbooks`` whose catalog entry for ``name`` has ``changes`` (the original untouched)."""
    services = [
        s.model_copy(update=changes) if s.name == name else s for s in playbooks.catalog.services
    ]
    return replace(playbooks, catalog=playbooks.catalog.model_copy(update={"services": services}))


class FixedClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def now() -> FixedClock:
    return FixedClock()


@pytest.fixture
def playbooks() -> Playbooks:
    return PLAYBOOKS


@pytest.fixture
def units(sessions: sessionmaker[Session]) -> UnitsOfWork:
    return units_of_work(sessions)


@pytest.fixture
def incidents(units: UnitsOfWork, playbooks: Playbooks, now: FixedClock) -> IncidentService:
    return IncidentService(units, playbooks.policies, now)


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


def declare(
    incidents: IncidentService,
    severity: Severity = Severity.SEV1,
    services: tuple[str, ...] = ("checkout",),
    in_channel: bool = True,
) -> int:
    """A new incident, in channel ``CINC<id>`` unless ``in_channel`` is False; its room's
    set-up done (the set-up timer will not fire)."""
    declared = incidents.declare(
        severity=severity, title="checkout 500s", by="U0ALICE", services=services
    )
    incidents.setup_finished(declared.view.id)
    if in_channel:
        incident_id = declared.view.id
        incidents.attach_channel(incident_id, f"CINC{incident_id}", f"inc-{incident_id}-checkout")
    return declared.view.id


# The timer tests' world: the shipped playbooks on a virtual clock, a recorder for a chat.


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def service(sessions: Sessions, clock: VirtualClock) -> IncidentService:
    return IncidentService(units_of_work(sessions), SHIPPED, clock)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runner(sessions: Sessions, service: IncidentService, recorder: Recorder) -> TimerRunner:
    return TimerRunner(
        units_of_work(sessions), service, recorder, owner="replica-a", lease=timedelta(seconds=20)
    )


# The lease tests' world: two replicas' runners, a stopwatch for the time a firing takes.


@pytest.fixture
def stopwatch() -> Stopwatch:
    return Stopwatch()


@pytest.fixture
def pager() -> SlowPager:
    return SlowPager()


@pytest.fixture
def paged(playbooks: Playbooks) -> Playbooks:
    return with_service(playbooks, "checkout", pagerduty_routing_key="R0UTINGKEY0000")


@pytest.fixture
def replicas(
    units: UnitsOfWork,
    incidents: IncidentService,
    chat: FakeChat,
    paged: Playbooks,
    pager: SlowPager,
    stopwatch: Stopwatch,
    now: FixedClock,
) -> tuple[TimerRunner, TimerRunner]:
    """Replica A, reminded already (the notice is its next firing), and replica B."""
    declare(incidents)
    a, b = (replica(o, units, incidents, chat, paged, pager, stopwatch) for o in ("a", "b"))
    now.now = REMINDED
    assert [f.outcome for f in a.tick(REMINDED)] == ["fired"]
    now.now = DUE
    return a, b
