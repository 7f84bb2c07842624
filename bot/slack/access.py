"""Who may do what: declare (anyone, or a user group), and steer an incident (the verbs that
``bot.slack.verbs`` marks steering: its commander, declarer and responders, or an admin group)."""

from __future__ import annotations

import threading
import time

from bot.services.read_model import IncidentView
from bot.slack import mrkdwn
from bot.slack.gateway import SlackFailure, SlackGateway


class Access:
    def __init__(
        self,
        gateway: SlackGateway,
        declarers: str | None,
        admins: str | None,
        cache_seconds: float = 60.0,
    ) -> None:
        self.gateway = gateway
        self.declarers = declarers
        self.admins = admins
        self.cache_seconds = cache_seconds
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def _in(self, group: str | None, user: str) -> bool:
        if group is None:
            return False
        with self._lock:
            cached = self._members.get(group)
        if cached is None or time.monotonic() - cached[0] > self.cache_seconds:
            try:
                members = frozenset(self.gateway.group_members(group))
            except SlackFailure:
                members = cached[1] if cached else frozenset()  # Slack down: last known
            cached = (time.monotonic(), members)
            with self._lock:
                self._members[group] = cached
        return user in cached[1]

    def may_declare(self, user: str) -> str | None:
        """None if ``user`` may declare, else the refusal to show them."""
        if self.declarers is None or self._in(self.declarers, user) or self._in(self.admins, user):
            return None
        return (
            f"Only members of {mrkdwn.user_group(self.declarers)} may declare incidents. Ask "
            "one of them, or page the on-call."
        )

    def may(self, user: str, action: str, incident: IncidentView) -> str | None:
        """None if ``user`` may steer ``incident`` (``action`` it, as in "resolve"), else the
        refusal."""
        allowed = {incident.declared_by, *incident.responders}
        if incident.commander:
            allowed.add(incident.commander)
        if user in allowed or self._in(self.admins, user):
            return None
        who = (
            f"the incident commander ({mrkdwn.user(incident.commander)})"
            if incident.commander
            else "the incident commander"
        )
        admins = f", or {mrkdwn.user_group(self.admins)}" if self.admins else ""
        return (
            f"Only {who}, the declarer and the responders{admins} may {action} this "
            "incident. To respond, type `/incident ack` first."
        )
