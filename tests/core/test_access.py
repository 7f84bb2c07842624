"""Who is on an incident: its declarer, responders and commander, nobody else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.access import on_the_incident


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
