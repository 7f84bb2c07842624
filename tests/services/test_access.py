"""Access in process: declarers and admins are user groups asked of the chat, cached, and kept
while the chat is down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.access import WHO_MAY, Right
from bot.core.lifecycle import State
from bot.core.model import Incident, Severity
from bot.services.access import Access, NotADeclarer, NotPermitted
from bot.services.chat import ChatFailure
from bot.services.read_model import IncidentView
from bot.services.records import StoredIncident

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


@dataclass
class Groups:
    """The chat port's user groups; counts the questions; ``down`` makes them fail."""

    members: dict[str, list[str]] = field(default_factory=dict)
    asked: int = 0
    down: bool = False

    def group_members(self, group: str) -> list[str]:
        self.asked += 1
        if self.down:
            raise ChatFailure("usergroups.users.list failed: fatal_error")
        return self.members.get(group, [])


def incident(commander: str | None = "U0IC") -> IncidentView:
    stored = StoredIncident(
        1,
        Incident(
            "checkout 500s",
            Severity.SEV1,
            State.INVESTIGATING,
            T0,
            "U0DECL",
            T0,
            commander=commander,
            responders=frozenset({"U0RESP"}),
        ),
    )
    return IncidentView.of(stored, (), T0)


def access(groups: Groups, declarers: str | None, admins: str | None, now: list[float]) -> Access:
    chat: Any = groups
    return Access(chat, declarers, admins, cache_seconds=60, monotonic=lambda: now[0])


def test_anyone_declares_without_a_declarers_group() -> None:
    groups = Groups()
    assert access(groups, None, None, [0.0]).may_declare("U0ANYONE") is None
    assert groups.asked == 0


def test_only_declarers_and_admins_declare() -> None:
    groups = Groups({"S0DECL": ["U0D"], "S0ADMIN": ["U0A"]})
    rules = access(groups, "S0DECL", "S0ADMIN", [0.0])
    assert rules.may_declare("U0D") is None
    assert rules.may_declare("U0A") is None
    assert rules.may_declare("U0X") == NotADeclarer("S0DECL")


def test_the_people_on_the_incident_and_admins_steer_it() -> None:
    rules = access(Groups({"S0ADMIN": ["U0A"]}), None, "S0ADMIN", [0.0])
    for user in ("U0DECL", "U0RESP", "U0IC", "U0A"):
        assert rules.rule(user, Right.STEER)(incident()) is None
    assert rules.rule("U0X", Right.STEER)(incident()) == NotPermitted(
        Right.STEER, WHO_MAY[Right.STEER], "U0IC", "S0ADMIN", "U0DECL"
    )


def test_only_owners_and_admins_end_it() -> None:
    rules = access(Groups({"S0ADMIN": ["U0A"]}), None, "S0ADMIN", [0.0])
    for user in ("U0DECL", "U0IC", "U0A"):
        assert rules.rule(user, Right.END)(incident()) is None
    refused = rules.rule("U0RESP", Right.END)(incident())
    assert refused is not None
    assert refused.right is Right.END


def test_responding_asks_nobody() -> None:
    groups = Groups({"S0ADMIN": ["U0A"]})
    assert access(groups, None, "S0ADMIN", [0.0]).rule("U0X", Right.RESPOND)(incident()) is None
    assert groups.asked == 0


def test_group_members_are_asked_once_a_minute_and_kept_while_the_chat_is_down() -> None:
    groups = Groups({"S0DECL": ["U0D"]})
    now = [0.0]
    rules = access(groups, "S0DECL", None, now)
    assert rules.may_declare("U0D") is None
    assert rules.may_declare("U0D") is None
    assert groups.asked == 1
    now[0] = 61.0
    groups.down = True
    assert rules.may_declare("U0D") is None  # the last answer stands
    assert groups.asked == 2
    groups.down, groups.members["S0DECL"] = False, []
    now[0] = 200.0
    assert rules.may_declare("U0D") == NotADeclarer("S0DECL")


def test_an_admin_group_never_asked_is_asked_again_while_the_chat_is_down() -> None:
    groups = Groups({"S0ADMIN": ["U0A"]}, down=True)
    now = [0.0]
    rules = access(groups, None, "S0ADMIN", now)
    assert rules.rule("U0A", Right.STEER)(incident()) is not None  # not known to be an admin
    groups.down = False
    assert rules.rule("U0A", Right.STEER)(incident()) is None  # asked again, not a minute later
