"""Who may do what to an incident: one table, read by the use cases and by the help.

Anyone may respond (acknowledge, join, add a note, post a status update): responding makes a
responder, not an owner. Steering the incident and taking command are for the people on it
(its declarer, commander and responders) and the admins; ending it (resolve, close) is for its
owners: the commander, the declarer and the admins. Declaring is for anyone, or a user group's
members when one is set (``bot.services.access``). Source: README "Audit trail and access
control" and issue 13.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol

from bot.core.model import EventKind


class Role(enum.Enum):
    """What a person is to an incident; a person may be several."""

    ANYONE = "anyone"
    RESPONDER = "the responders"
    DECLARER = "the declarer"
    COMMANDER = "the incident commander"
    ADMIN = "the admins"


class Right(enum.Enum):
    """What a person may do; the value is how a refusal says it ("may … this incident")."""

    RESPOND = "respond to"
    STEER = "steer"
    TAKE_COMMAND = "take command of"
    END = "resolve or close"


WHO_MAY: Mapping[Right, frozenset[Role]] = {
    Right.RESPOND: frozenset({Role.ANYONE}),
    Right.STEER: frozenset({Role.RESPONDER, Role.DECLARER, Role.COMMANDER, Role.ADMIN}),
    Right.TAKE_COMMAND: frozenset({Role.RESPONDER, Role.DECLARER, Role.COMMANDER, Role.ADMIN}),
    Right.END: frozenset({Role.DECLARER, Role.COMMANDER, Role.ADMIN}),
}

RIGHT_TO_RECORD: Mapping[EventKind, Right] = {
    EventKind.SEVERITY_CHANGED: Right.STEER,
    EventKind.MITIGATED: Right.STEER,
    EventKind.REOPENED: Right.STEER,
    EventKind.SERVICES_CHANGED: Right.STEER,
    EventKind.ROLE_ASSIGNED: Right.STEER,
    EventKind.ROLLBACK_DECIDED: Right.STEER,
    EventKind.POSTMORTEM_PUBLISHED: Right.STEER,
    EventKind.COMMANDER_ASSIGNED: Right.TAKE_COMMAND,
    EventKind.RESOLVED: Right.END,
    EventKind.CLOSED: Right.END,
}
"""The right each kind of timeline entry asks of the person recording it; any other kind
(acknowledged, joined, note, status update) is ``Right.RESPOND``."""


class Crew(Protocol):
    """The people an incident names: whoever declared it, its responders and its commander."""

    @property
    def declared_by(self) -> str: ...

    @property
    def responders(self) -> frozenset[str]: ...

    @property
    def commander(self) -> str | None: ...


def right_to_record(kind: EventKind) -> Right:
    return RIGHT_TO_RECORD.get(kind, Right.RESPOND)


def roles(user: str, crew: Crew, *, admin: bool = False) -> frozenset[Role]:
    """Every role ``user`` has on the incident ``crew`` describes (``admin``: in the admin
    group)."""
    found = {Role.ANYONE}
    if user in crew.responders:
        found.add(Role.RESPONDER)
    if user == crew.declared_by:
        found.add(Role.DECLARER)
    if user == crew.commander:
        found.add(Role.COMMANDER)
    if admin:
        found.add(Role.ADMIN)
    return frozenset(found)


def may(user: str, right: Right, crew: Crew, *, admin: bool = False) -> bool:
    """True when one of ``user``'s roles on the incident holds ``right`` (``WHO_MAY``)."""
    return bool(roles(user, crew, admin=admin) & WHO_MAY[right])


def on_the_incident(user: str, crew: Crew) -> bool:
    """True when ``user`` declared, responds to or commands the incident."""
    return bool(roles(user, crew) - {Role.ANYONE})
