"""Alerts, dependency health and first actions, worded for Slack (the SignalWording port)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock

from bot.adapters import probes
from bot.adapters.slack import blocks, mrkdwn, verbs
from bot.core.alerts import Alert
from bot.core.rollback import Deploy
from bot.services.chat import Message
from bot.services.probing import ProbeResult

MOST_ALERTS = 10
MITIGATION_WORDS = {
    "rollback": "roll back the last deploy",
    "failover": "fail over",
    "scale_up": "scale up",
}


def alert_line(alert: Alert) -> str:
    """``*Name* (severity) since <time>: summary``, escaped mrkdwn."""
    severity = f" ({mrkdwn.escape(alert.severity)})" if alert.severity else ""
    since = mrkdwn.date(alert.starts_at, "{time}")
    return f"*{mrkdwn.escape(alert.name)}*{severity} since {since}: {mrkdwn.escape(alert.summary)}"


def _notice(text: str, fallback: str | None = None) -> Message:
    return Message(blocks.notice(text, ""), text if fallback is None else fallback)


class SlackSignalWording:
    """SignalWording in Block Kit: one mrkdwn section each, and the Declare button."""

    def alert_firing(self, alert: Alert) -> Message:
        return _notice(f":fire: Firing: {alert_line(alert)}")

    def declare_offer(self, alert: Alert) -> Message:
        where = f" for `{mrkdwn.escape(alert.service)}`" if alert.service else ""
        text = f":rotating_light: Critical alert{where} and no open incident: {alert_line(alert)}"
        declare = verbs.DECLARE_FROM_ALERT.element(alert.fingerprint)
        content = [*blocks.notice(text, ""), ActionsBlock(elements=[declare]).to_dict()]
        return Message(content, f"Critical alert: {alert.name}")

    def no_dependencies(self) -> Message:
        text = "No dependencies listed in the catalog for the affected services."
        return Message(blocks.notice(text, ":link:"), text)

    def dependency_health(self, results: Sequence[ProbeResult]) -> Message:
        down = sum(not r.healthy for r in results)
        head = f":link: *Dependency health*: {len(results) - down} up, {down} down"
        return _notice(f"{head}\n{probes.table(results)}", head)

    def mitigate(self, moves: Sequence[str]) -> Message:
        named = " · ".join(MITIGATION_WORDS[move] for move in moves)
        return _notice(f":adhesive_bandage: *Mitigate, not diagnose.* First: {named}.")

    def recent_deploys(
        self, deploys: Sequence[Deploy], now: datetime, services: Sequence[str]
    ) -> Message:
        scope = ", ".join(services) if services else None
        return Message(blocks.deploy_list(deploys, now, scope), "Recent deploys")

    def firing_alerts(self, alerts: Sequence[Alert]) -> Message:
        if alerts:
            lines = "\n".join(f"• {alert_line(a)}" for a in alerts[:MOST_ALERTS])
            text = f":fire: *Firing infrastructure alerts* of the affected services\n{lines}"
        else:
            text = ":white_check_mark: No firing alerts for the affected services."
        return _notice(text, "Firing alerts")
