"""Who may do what to an incident: the table, applied to the people an incident names."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.access import Right, may, on_the_incident, right_to_record
from bot.core.model import EventKind


@dataclass(frozen=True)
class Crew:
    declared_by: str = "U0DECL"
    responders: frozenset[str] = frozenset({"U0RESP"})
    commander: str | None = "U0IC"


@pytest.mark.parametrize(
    ("user", "crew", "expected"),
    [
        ("U0DECL", Crew(), True),
        ("U0RESP", Crew(), True),
        ("U0IC", Crew(), True),
        ("U0IC", Crew(commander=None), False),
        ("U0STRANGER", Crew(), False),
        ("U0STRANGER", Crew(commander=None, responders=frozenset()), False),
    ],
)
def test_on_the_incident(user: str, crew: Crew, expected: bool) -> None:
    assert on_the_incident(user, crew) is expected


# Who holds each right: the stranger, a responder, the declarer, the commander, an admin.
TABLE = {
    Right.RESPOND: (True, True, True, True, True),
    Right.STEER: (False, True, True, True, True),
    Right.TAKE_COMMAND: (False, True, True, True, True),
    Right.END: (False, False, True, True, True),
}


@pytest.mark.parametrize("right", list(Right))
def test_the_table(right: Right) -> None:
    crew = Crew()
    held = (
        may("U0STRANGER", right, crew),
        may("U0RESP", right, crew),
        may("U0DECL", right, crew),
        may("U0IC", right, crew),
        may("U0STRANGER", right, crew, admin=True),
    )
    assert held == TABLE[right]


def test_acknowledging_makes_a_responder_not_an_owner() -> None:
    acked = Crew(responders=frozenset({"U0NEW"}))
    assert may("U0NEW", Right.STEER, acked)
    assert not may("U0NEW", Right.END, acked)


@pytest.mark.parametrize(
    ("kind", "right"),
    [
        (EventKind.ACKNOWLEDGED, Right.RESPOND),
        (EventKind.NOTE_ADDED, Right.RESPOND),
        (EventKind.STATUS_UPDATE_POSTED, Right.RESPOND),
        (EventKind.COMMANDER_ASSIGNED, Right.TAKE_COMMAND),
        (EventKind.SEVERITY_CHANGED, Right.STEER),
        (EventKind.ROLLBACK_DECIDED, Right.STEER),
        (EventKind.RESOLVED, Right.END),
        (EventKind.CLOSED, Right.END),
    ],
)
def test_each_kind_of_entry_asks_one_right(kind: EventKind, right: Right) -> None:
    assert right_to_record(kind) is right
