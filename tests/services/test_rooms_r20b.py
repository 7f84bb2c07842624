"""Review r20b: defects found in issue 20's declarations in fewer steps (rooms at once)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Severity
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.playbooks.schema import Stakeholders
from bot.services.incidents import IncidentService
from bot.services.rooms import Rooms
from tests.core.timelines import T0
from tests.services.fakes import FakeChat, FakeRoomWording, FakeTickets

ANNOUNCE = "C0ANNOUNCE"
GROUPS = {"S0PAYMENTS": ["U0PAY1", "U0PAY2"], "S0DISCOVERY": ["U0DISC"]}


@pytest.fixture
def playbooks(repo_root: Path) -> Playbooks:
    book = loader.load(repo_root / "playbooks")
    sev1 = book[Severity.SEV1]
    told = sev1.model_copy(update={"stakeholders": Stakeholders(channels=["C0EXECS"])})
    return replace(book, by_severity={**book.by_severity, Severity.SEV1: told})


@pytest.fixture
def incidents(sessions: sessionmaker[Session], playbooks: Playbooks) -> IncidentService:
    return IncidentService(units_of_work(sessions), playbooks.policies, lambda: T0)


def test_a_stakeholder_channel_that_heard_at_opening_is_not_told_again_by_furnish(
    sessions: sessionmaker[Session], incidents: IncidentService, playbooks: Playbooks
) -> None:
    # Declaring.declare opens the room (the announcement now goes out there), then
    # Declaring.set_up furnishes it with resuming=False (bot/services/declaring.py:134).
    # When one stakeholder channel refused at opening, ANNOUNCE is left to do, and furnish
    # posts again, without looking, in every channel that did hear of it.
    chat = FakeChat(groups=GROUPS)
    rooms = Rooms(chat, incidents, playbooks, FakeTickets(), FakeRoomWording(), ANNOUNCE)
    chat.refusing[ANNOUNCE] = "channel_not_found"  # e.g. the bot not yet in the channel
    view = incidents.declare(
        severity=Severity.SEV1, title="checkout is down", by="U0ALICE", services=["checkout"]
    ).view

    rooms.open(view)
    del chat.refusing[ANNOUNCE]
    rooms.furnish(incidents.get(view.id))  # as Declaring.set_up calls it

    assert chat.texts("C0EXECS") == ["announcement 1 in C1"]  # executives told once
