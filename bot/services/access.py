"""Who may do what: declare (anyone, or a user group's members), and the rights on an incident
(``bot.core.access``: its table, with an admin group's members as the admins). Group members are
asked of the chat at most once a ``cache_seconds``; while the chat is down, the last answer
stands."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.access import WHO_MAY, Right, Role, may
from bot.services.chat import Chat, ChatFailure
from bot.services.read_model import IncidentView


@dataclass(frozen=True)
class NotADeclarer:
    """Only the members of ``group`` may declare incidents."""

    group: str


@dataclass(frozen=True)
class NotPermitted:
    """Only ``who`` may use ``right`` on the incident (its ``commander``, ``admins`` the admin
    group's id, None when there is none)."""

    right: Right
    who: frozenset[Role]
    commander: str | None
    admins: str | None
    declarer: str | None = None


class Access:
    def __init__(
        self,
        chat: Chat,
        declarers: str | None,
        admins: str | None,
        cache_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat = chat
        self.declarers = declarers  # a user group id, or None: anyone may declare
        self.admins = admins  # a user group id whose members may steer any incident
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def may_declare(self, user: str) -> NotADeclarer | None:
        """None if ``user`` may declare, else why not."""
        if self.declarers is None or self._in(self.declarers, user) or self._in(self.admins, user):
            return None
        return NotADeclarer(self.declarers)

    def rule(self, user: str, right: Right) -> Callable[[IncidentView], NotPermitted | None]:
        """Whether ``user`` may use ``right`` on an incident, as a pure rule of the incident:
        the admin group is asked now, so the rule can be applied while the incident is locked."""
        if Role.ANYONE in WHO_MAY[right]:
            return _anyone
        admin = self._in(self.admins, user)

        def rule(incident: IncidentView) -> NotPermitted | None:
            if may(user, right, incident, admin=admin):
                return None
            return NotPermitted(
                right, WHO_MAY[right], incident.commander, self.admins, incident.declared_by
            )

        return rule

    def _in(self, group: str | None, user: str) -> bool:
        if group is None:
            return False
        with self._lock:
            cached = self._members.get(group)
        if cached is None or self.monotonic() - cached[0] > self.cache_seconds:
            try:
                members = frozenset(self.chat.group_members(group))
            except ChatFailure:
                # The chat is down: the last answer stands; with none, ask again next time
                # rather than lock the group out for a minute.
                return cached is not None and user in cached[1]
            cached = (self.monotonic(), members)
            with self._lock:
                self._members[group] = cached
        return user in cached[1]


def _anyone(_incident: IncidentView) -> NotPermitted | None:
    return None
