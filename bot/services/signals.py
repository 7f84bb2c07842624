"""What the systems say about an incident: firing alerts, dependency health, recent deploys.

Firing alerts reach the channel of the open incident of their service; a critical one for a
service without an incident is offered for declaration. Each severity's first actions are
posted from its playbook's ``offers``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.alerts import Alert, is_critical
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.playbooks.loader import Playbooks
from bot.services.alerts import AlertRecords
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.probing import Prober, ProbeResult
from bot.services.read_model import IncidentView

log = logging.getLogger(__name__)
ALERTMANAGER = "alertmanager"  # the actor of what an alert records
MITIGATIONS = ("rollback", "failover", "scale_up")  # offers shown as one line, in this order


class SignalWording(Protocol):
    """How what the systems say is worded in the chat."""

    def alert_firing(self, alert: Alert) -> Message:
        """``alert`` fires for an incident's service (posted in its channel)."""
        ...

    def declare_offer(self, alert: Alert) -> Message:
        """A critical ``alert`` with no open incident, and a way to declare one for it."""
        ...

    def no_dependencies(self) -> Message: ...

    def dependency_health(self, results: Sequence[ProbeResult]) -> Message: ...

    def mitigate(self, moves: Sequence[str]) -> Message:
        """Mitigate first, by ``moves`` (of MITIGATIONS, in that order)."""
        ...

    def recent_deploys(
        self, deploys: Sequence[Deploy], now: datetime, services: Sequence[str]
    ) -> Message:
        """``deploys`` of ``services``, newest first (possibly none)."""
        ...

    def firing_alerts(self, alerts: Sequence[Alert]) -> Message:
        """The alerts of the affected services firing now, newest first (possibly none)."""
        ...


class Signals:
    """Passes on what Alertmanager, the catalog's dependencies and the deploy record say about
    incidents; every message goes through ``chat``, worded by ``wording``."""

    def __init__(
        self,
        incidents: IncidentService,
        deploys: DeployService,
        alerts: AlertRecords,
        chat: Chat,
        wording: SignalWording,
        playbooks: Playbooks,
        announce_channel: str | None,
        prober: Prober,
        probe_timeout: float = 2.0,
    ) -> None:
        self.incidents = incidents
        self.deploys = deploys
        self.alerts = alerts
        self.chat = chat
        self.wording = wording
        self.playbooks = playbooks
        self.announce_channel = announce_channel
        self.prober = prober
        self.probe_timeout = probe_timeout

    # --- alerts ----------------------------------------------------------------------------------

    def alerts_firing(self, alerts: list[Alert]) -> None:
        """Pass each newly firing alert on: to its incidents' channels and timelines, or, if it is
        critical and no incident is open for its service, offered for declaration.

        One alert that fails is logged and the rest still go out. Raises StorageUnavailable only
        if the open incidents cannot be read.
        """
        open_views = self.incidents.open_incidents({a.service for a in alerts if a.service})
        for alert in alerts:
            try:
                self._route(alert, open_views)
            except Exception:
                log.exception("could not pass on an alert", extra={"alert": alert.fingerprint})

    def _route(self, alert: Alert, open_views: list[IncidentView]) -> None:
        affected = [v for v in open_views if alert.service and alert.service in v.services]
        for view in affected:
            if view.channel_id:
                self.chat.post(view.channel_id, self.wording.alert_firing(alert))
            self.incidents.record(
                view.id,
                EventKind.ALERT_FIRING,
                ALERTMANAGER,
                text=alert.name,
                extra={"fingerprint": alert.fingerprint, "service": alert.service or ""},
            )
        if not affected and is_critical(alert) and self.announce_channel:
            self.chat.post(self.announce_channel, self.wording.declare_offer(alert))

    def alert(self, fingerprint: str) -> Alert | None:
        """The latest alert with this fingerprint, if the bot has seen one."""
        return self.alerts.find(fingerprint)

    def firing(self, services: tuple[str, ...]) -> list[Alert]:
        """Alerts of ``services`` firing now, newest first."""
        return self.alerts.firing(services)

    # --- dependency health -----------------------------------------------------------------------

    def dependencies(self, view: IncidentView) -> Message:
        """The health of the catalog's dependencies of the incident's services, probed now
        (each target once); never raises."""
        targets = [
            target
            for name in view.services
            if (service := self.playbooks.catalog.service(name))
            for target in service.dependencies
        ]
        if not targets:
            return self.wording.no_dependencies()
        results = self.prober(list(dict.fromkeys(targets)), self.probe_timeout)
        return self.wording.dependency_health(results)

    def check_dependencies(self, view: IncidentView) -> tuple[Message, bool]:
        """``/incident deps``: probe now and post the health in the incident's channel; returns
        it, and whether it was posted (not without a channel). Raises ChatFailure."""
        health = self.dependencies(view)
        if view.channel_id is None:
            return health, False
        self.chat.post(view.channel_id, health)
        return health, True

    # --- first actions ---------------------------------------------------------------------------

    def first_actions(self, view: IncidentView) -> bool:
        """Post what the severity's playbook offers first in the incident channel, in order:
        the mitigations, recent deploys, firing alerts, dependency health; True when all was.

        Nothing without a channel or offers; a ChatFailure is logged and stops the rest.
        """
        channel = view.channel_id
        offers = {str(offer) for offer in self.playbooks[view.severity].first_actions.offers}
        if channel is None or not offers:
            return channel is not None
        moves = [move for move in MITIGATIONS if move in offers]
        try:
            if moves:
                self.chat.post(channel, self.wording.mitigate(moves))
            if "recent_deploys" in offers:
                self.chat.post(channel, self._recent_deploys(view.services))
            if "alerts" in offers:
                self.chat.post(channel, self.wording.firing_alerts(self.firing(view.services)))
            if "dependency_health" in offers:
                self.chat.post(channel, self.dependencies(view))
        except ChatFailure:
            log.exception("could not post the first actions", extra={"incident_id": view.id})
            return False
        return True

    def _recent_deploys(self, services: tuple[str, ...]) -> Message:
        found = [d for service in services for d in self.deploys.recent(service)]
        found.sort(key=lambda d: d.finished_at, reverse=True)
        return self.wording.recent_deploys(found, self.incidents.clock(), services)


def severity_for(alert: Alert) -> Severity:
    """The severity an incident declared from ``alert`` starts at: SEV1 if critical, else SEV2."""
    return Severity.SEV1 if is_critical(alert) else Severity.SEV2
