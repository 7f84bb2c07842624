"""What the systems say about an incident: firing alerts, dependency health, recent deploys.

Firing alerts reach the channel of the open incident of their service; a critical one for a
service without an incident is offered for declaration. Each severity's first actions are
posted from its playbook's ``offers``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot import probes
from bot.alertmanager import Alert, is_critical
from bot.core.model import EventKind, Severity
from bot.playbooks.loader import Playbooks
from bot.services.alerts import AlertRecords
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.slack import blocks, mrkdwn
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)
MOST_ALERTS = 10


def _alert_line(alert: Alert) -> str:
    severity = f" ({mrkdwn.escape(alert.severity)})" if alert.severity else ""
    since = mrkdwn.date(alert.starts_at, "{time}")
    return f"*{mrkdwn.escape(alert.name)}*{severity} since {since}: {mrkdwn.escape(alert.summary)}"


class Signals:
    def __init__(
        self,
        incidents: IncidentService,
        deploys: DeployService,
        alerts: AlertRecords,
        gateway: SlackGateway,
        playbooks: Playbooks,
        announce_channel: str | None,
        probe_timeout: float = 2.0,
        prober: probes.Prober = probes.probe_all,
    ) -> None:
        self.incidents = incidents
        self.deploys = deploys
        self.alerts = alerts
        self.gateway = gateway
        self.playbooks = playbooks
        self.announce_channel = announce_channel
        self.probe_timeout = probe_timeout
        self.prober = prober

    # --- alerts ----------------------------------------------------------------------------------

    def alerts_firing(self, alerts: list[Alert]) -> None:
        open_views = self.incidents.open_incidents()
        for alert in alerts:
            try:
                self._route(alert, open_views)
            except Exception:
                log.exception("could not pass on an alert", extra={"alert": alert.fingerprint})

    def _route(self, alert: Alert, open_views: list[IncidentView]) -> None:
        affected = [v for v in open_views if alert.service and alert.service in v.services]
        for view in affected:
            if view.channel_id:
                text = f":fire: Firing: {_alert_line(alert)}"
                self.gateway.post(view.channel_id, blocks.notice(text, ""), text)
            self.incidents.record(
                view.id,
                EventKind.ALERT_FIRING,
                "alertmanager",
                text=alert.name,
                extra={"fingerprint": alert.fingerprint, "service": alert.service or ""},
            )
        if not affected and is_critical(alert) and self.announce_channel:
            self._offer(alert)

    def _offer(self, alert: Alert) -> None:
        where = f" for `{mrkdwn.escape(alert.service)}`" if alert.service else ""
        text = f":rotating_light: Critical alert{where} and no open incident: {_alert_line(alert)}"
        content = blocks.notice(text, "")
        content.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Declare",
                        action_id="incident.declare_from_alert",
                        value=alert.fingerprint,
                        style="danger",
                    )
                ]
            ).to_dict()
        )
        assert self.announce_channel is not None
        self.gateway.post(self.announce_channel, content, f"Critical alert: {alert.name}")

    def alert(self, fingerprint: str) -> Alert | None:
        return self.alerts.find(fingerprint)

    def firing(self, services: tuple[str, ...]) -> list[Alert]:
        return self.alerts.firing(services)

    # --- dependency health -----------------------------------------------------------------------

    def dependencies(self, view: IncidentView) -> tuple[list[dict[str, Any]], str]:
        targets = [
            target
            for name in view.services
            if (service := self.playbooks.catalog.service(name))
            for target in service.dependencies
        ]
        if not targets:
            text = "No dependencies listed in the catalog for the affected services."
            return blocks.notice(text, ":link:"), text
        results = self.prober(list(dict.fromkeys(targets)), self.probe_timeout)
        down = sum(not r.healthy for r in results)
        head = f":link: *Dependency health*: {len(results) - down} up, {down} down"
        return blocks.notice(f"{head}\n{probes.table(results)}", ""), head

    # --- first actions -------------------------------------------------------------------------

    def first_actions(self, view: IncidentView) -> None:
        """Post what the severity's playbook offers first, in the incident channel."""
        channel = view.channel_id
        incident = view
        offers = {str(offer) for offer in self.playbooks[incident.severity].first_actions.offers}
        if channel is None or not offers:
            return
        if offers & {"rollback", "failover", "scale_up"}:
            self._mitigate(channel, offers)
        if "recent_deploys" in offers:
            self._recent_deploys(channel, incident.services)
        if "alerts" in offers:
            self._alerts(channel, incident.services)
        if "dependency_health" in offers:
            content, text = self.dependencies(view)
            self.gateway.post(channel, content, text)

    def _mitigate(self, channel: str, offers: set[str]) -> None:
        named = {
            "rollback": "roll back the last deploy",
            "failover": "fail over",
            "scale_up": "scale up",
        }
        moves = " · ".join(named[o] for o in ("rollback", "failover", "scale_up") if o in offers)
        text = f":adhesive_bandage: *Mitigate, not diagnose.* First: {moves}."
        self.gateway.post(channel, blocks.notice(text, ""), text)

    def _recent_deploys(self, channel: str, services: tuple[str, ...]) -> None:
        found = [d for service in services for d in self.deploys.recent(service)]
        found.sort(key=lambda d: d.finished_at, reverse=True)
        content = blocks.deploy_list(
            found, self.incidents.clock(), ", ".join(services) if services else None
        )
        self.gateway.post(channel, content, "Recent deploys")

    def _alerts(self, channel: str, services: tuple[str, ...]) -> None:
        firing = self.firing(services)
        if firing:
            lines = "\n".join(f"• {_alert_line(a)}" for a in firing[:MOST_ALERTS])
            text = f":fire: *Firing infrastructure alerts* of the affected services\n{lines}"
        else:
            text = ":white_check_mark: No firing alerts for the affected services."
        self.gateway.post(channel, blocks.notice(text, ""), "Firing alerts")


def severity_for(alert: Alert) -> Severity:
    return Severity.SEV1 if is_critical(alert) else Severity.SEV2
