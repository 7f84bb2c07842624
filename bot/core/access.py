"""Who may steer an incident (change its severity, resolve, reopen, close): the people on it."""

from __future__ import annotations

from typing import Protocol


class Crew(Protocol):
    """The people an incident names: whoever declared it, its responders and its commander."""

    @property
    def declared_by(self) -> str: ...

    @property
    def responders(self) -> frozenset[str]: ...

    @property
    def commander(self) -> str | None: ...


def on_the_incident(user: str, crew: Crew) -> bool:
    """True when ``user`` declared, responds to or commands the incident (README: access)."""
    return user in {crew.declared_by, *crew.responders} or user == crew.commander
