"""Rollback first, investigate second: the core's rule said in the channel, and the decisions.

The advice is re-evaluated on declaration, when the affected services change and when a deploy
of an affected service is reported; it is posted only when it says something new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject

from bot.core import durations, rollback
from bot.core.model import Event, EventKind
from bot.core.policy import RollbackRule
from bot.core.rollback import Advice, Deploy, Recommendation, SuspectDeploy
from bot.playbooks.loader import Playbooks
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.slack import blocks, mrkdwn
from bot.slack.gateway import SlackGateway
from bot.slack.replies import Invocation, Reply, error
from bot.webhooks import outbound

log = logging.getLogger(__name__)
DECISIONS = {
    "incident.rollback": "roll back",
    "incident.not_related": "not related",
    "incident.rolled_back": "already rolled back",
}
MOST_SUSPECTS = 5


@dataclass(frozen=True)
class DeployRef:
    """A deploy as a button names it: ``incident|service|version|finished_at``."""

    incident_id: int
    service: str
    version: str
    finished_at: str

    def encode(self) -> str:
        return "|".join([str(self.incident_id), self.service, self.version, self.finished_at])

    @classmethod
    def decode(cls, value: str) -> DeployRef:
        incident, service, version, finished = value.split("|", 3)
        return cls(int(incident), service, version, finished)


def protocol(rule: RollbackRule) -> str:
    """The rule as the protocol states it, with the playbook's window."""
    return (
        f"If the issue started after a deploy within the last {durations.humanize(rule.window)}, "
        "roll back first, investigate second. If it is not correlated with a deploy, escalate "
        "to the service team."
    )


def headline(advice: Advice, rule: RollbackRule) -> str:
    """What a deploy inside the window calls for, and why, in the playbook's numbers."""
    if advice is Advice.ROLL_BACK_NOW:
        return (
            ":rotating_light: *Roll back now*: a deploy finished less than "
            f"{durations.humanize(rule.urgent)} before the issue started."
        )
    return (
        ":rewind: *Roll back first, investigate second*: a deploy finished less than "
        f"{durations.humanize(rule.window)} before the issue started."
    )


def _signature(recommendation: Recommendation) -> str:
    """What the advice says, to post it only when that changes."""
    deploys = [
        f"{s.deploy.service}@{s.deploy.version}@{s.deploy.finished_at.isoformat()}"
        for s in recommendation.suspects
    ]
    return f"{recommendation.advice}:{','.join(deploys) or ','.join(recommendation.services)}"


class RollbackAdvisor:
    def __init__(
        self,
        incidents: IncidentService,
        deploys: DeployService,
        gateway: SlackGateway,
        playbooks: Playbooks,
        webhook_secret: str | None,
        post: outbound.Poster = outbound.post_signed,
    ) -> None:
        self.incidents = incidents
        self.deploys = deploys
        self.gateway = gateway
        self.playbooks = playbooks
        self.webhook_secret = webhook_secret
        self.post = post  # calls the catalog's rollback webhooks (the sandbox swaps it)

    def rule(self, view: IncidentView) -> RollbackRule | None:
        return self.playbooks.policies[view.severity].rollback

    def recommend(self, view: IncidentView) -> Recommendation | None:
        incident = view
        rule = self.rule(view)
        if rule is None or not incident.services or not incident.is_open:
            return None
        known = self.deploys.before(incident.services, incident.started_at, rule.window)
        return rollback.recommend(incident.started_at, incident.services, known, rule)

    def advise(self, view: IncidentView) -> bool:
        """Post the rule's advice in the incident channel if it is new; True if posted."""
        recommendation = self.recommend(view)
        channel = view.channel_id
        if recommendation is None or channel is None:
            return False
        signature = _signature(recommendation)
        said = {
            e.extra.get("signature") for e in view.events if e.kind is EventKind.ROLLBACK_ADVISED
        }
        if signature in said:
            return False
        content, text = self.render(view, recommendation)
        self.gateway.post(channel, content, text)
        newest = recommendation.suspects[0].deploy if recommendation.suspects else None
        self.incidents.record(
            view.id,
            EventKind.ROLLBACK_ADVISED,
            "incident-bot",
            text=str(recommendation.advice),
            extra={"signature": signature, **_deploy_fields(newest)},
        )
        return True

    def deploy_reported(self, deploy: Deploy) -> int:
        """A new deploy: re-advise every open incident it affects; returns how many."""
        advised = 0
        for view in self.incidents.open_incidents():
            if deploy.service in view.services:
                try:
                    advised += self.advise(view)
                except Exception:
                    log.exception("could not advise", extra={"incident_id": view.id})
        return advised

    def render(
        self, view: IncidentView, recommendation: Recommendation
    ) -> tuple[list[dict[str, Any]], str]:
        rule = self.rule(view)
        assert rule is not None, "advice comes from the severity's rollback rule"
        if recommendation.advice is Advice.ESCALATE:
            return self._escalation(recommendation, rule)
        head = headline(recommendation.advice, rule)
        content = blocks.notice(f"{head}\n_{protocol(rule)}_", "")
        for suspect in recommendation.suspects[:MOST_SUSPECTS]:
            content += blocks.notice(_describe(suspect), "")
            content.append(_buttons(view.id, suspect.deploy))
        return content, head

    def _escalation(
        self, recommendation: Recommendation, rule: RollbackRule
    ) -> tuple[list[dict[str, Any]], str]:
        window = durations.humanize(rule.window)
        teams = [
            mrkdwn.user_group(s.user_group)
            for name in recommendation.services
            if (s := self.playbooks.catalog.service(name))
        ]
        text = (
            f":mag: No deploy of {mrkdwn.escape(', '.join(recommendation.services))} in the "
            f"{window} before the issue started, so this is not a rollback: escalate to the "
            f"owning team{'s' if len(teams) > 1 else ''} {' '.join(teams)}."
        )
        return blocks.notice(text, ""), "Not correlated with a deploy: escalate to the owning team"

    # --- decisions -----------------------------------------------------------------------------

    def decide(self, who: Invocation, action_id: str, value: str) -> Reply | None:
        ref = DeployRef.decode(value)
        decision = DECISIONS[action_id]
        view = self.incidents.get(ref.incident_id)
        deploy = next(
            (
                d
                for d in self.deploys.before({ref.service}, view.started_at, durations.parse("7d"))
                if d.version == ref.version and d.finished_at.isoformat() == ref.finished_at
            ),
            None,
        )
        if deploy is None:
            return error("I no longer find that deploy; type `/incident deploys` to see them.")
        what = f"`{mrkdwn.escape(deploy.service)}` {mrkdwn.escape(deploy.version)}"
        if not view.is_open:
            return error(
                f"The incident is {view.state}: nothing to decide about {what} "
                "now. Type `/incident reopen` if it is back."
            )
        earlier = _decided(view, deploy)
        if earlier is not None and earlier.text == decision:
            return error(
                f"{mrkdwn.user(earlier.actor)} already decided {what}: {decision}, "
                f"{mrkdwn.date(earlier.at, '{time}')}. Nothing was recorded twice."
            )
        self.incidents.record(
            ref.incident_id,
            EventKind.ROLLBACK_DECIDED,
            who.user,
            text=decision,
            extra={"decision": decision, **_deploy_fields(deploy)},
        )
        if earlier is not None:
            self._say(
                view,
                f":arrows_counterclockwise: {mrkdwn.user(who.user)} changes the decision on "
                f"{what} from _{mrkdwn.escape(earlier.text or '')}_ "
                f"({mrkdwn.user(earlier.actor)}) to _{decision}_.",
            )
        if decision == "roll back":
            self._roll_back(view, who, deploy, what)
        elif decision == "not related":
            self._say(
                view,
                f":heavy_multiplication_x: {mrkdwn.user(who.user)} marked {what} as "
                "not related. If no other deploy explains it, escalate to the "
                "owning team.",
            )
        else:
            self._say(
                view,
                f":white_check_mark: {mrkdwn.user(who.user)} says {what} is already rolled back.",
            )
        return None

    def _roll_back(self, view: IncidentView, who: Invocation, deploy: Deploy, what: str) -> None:
        service = self.playbooks.catalog.service(deploy.service)
        steps = (
            mrkdwn.escape(service.rollback.instructions)
            if service
            else "_The catalog has no rollback instructions for this service._"
        )
        self._say(view, f":rewind: {mrkdwn.user(who.user)} is rolling back {what}.\n{steps}")
        if service is None or service.rollback.webhook is None:
            return
        if not self.webhook_secret:
            self._say(
                view,
                ":warning: The catalog names a rollback webhook, but "
                "DEPLOY_WEBHOOK_SECRET is not set, so I did not call it.",
            )
            return
        payload = {"incident": view.id, "requested_by": who.user, **_deploy_fields(deploy)}
        ok, detail = self.post(service.rollback.webhook, payload, self.webhook_secret)
        self.incidents.record(
            view.id,
            EventKind.NOTE_ADDED,
            "incident-bot",
            text=f"rollback webhook for {deploy.service}: {detail}",
        )
        self._say(
            view,
            f":white_check_mark: The rollback webhook of {what} answered {detail}."
            if ok
            else f":x: The rollback webhook of {what} failed: "
            f"{mrkdwn.escape(detail)}. Roll back by hand with the steps above.",
        )

    def _say(self, view: IncidentView, text: str) -> None:
        if view.channel_id:
            self.gateway.post(view.channel_id, blocks.notice(text, ""), text)


def _decided(view: IncidentView, deploy: Deploy) -> Event | None:
    """The latest decision already recorded about ``deploy`` in this incident, if any."""
    same = {"service": deploy.service, "version": deploy.version}
    decisions = [
        event
        for event in view.events
        if event.kind is EventKind.ROLLBACK_DECIDED
        and all(event.extra.get(k) == v for k, v in same.items())
        and event.extra.get("finished_at") == deploy.finished_at.isoformat()
    ]
    return decisions[-1] if decisions else None


def _deploy_fields(deploy: Deploy | None) -> dict[str, str]:
    if deploy is None:
        return {}
    fields = {
        "service": deploy.service,
        "version": deploy.version,
        "finished_at": deploy.finished_at.isoformat(),
        "commit": deploy.commit or "",
        "deployer": deploy.deployer or "",
    }
    return {key: value for key, value in fields.items() if value}


def _describe(suspect: SuspectDeploy) -> str:
    deploy = suspect.deploy
    parts = [f"*`{mrkdwn.escape(deploy.service)}` {mrkdwn.escape(deploy.version)}*"]
    if deploy.commit:
        parts.append(f"commit `{mrkdwn.escape(deploy.commit[:12])}`")
    if deploy.deployer:
        parts.append(f"by {mrkdwn.user(deploy.deployer)}")
    age = durations.humanize(suspect.age_at_start)
    parts.append(f"finished {mrkdwn.date(deploy.finished_at)}, {age} before the issue started")
    if deploy.url:
        parts.append(mrkdwn.escape(deploy.url))
    return " · ".join(parts)


def _buttons(incident_id: int, deploy: Deploy) -> dict[str, Any]:
    value = DeployRef(
        incident_id, deploy.service, deploy.version, deploy.finished_at.isoformat()
    ).encode()
    confirm = ConfirmObject(
        title="Roll back?",
        text=f"Roll back {deploy.service} "
        f"{deploy.version}: show the steps and call its rollback hook.",
        confirm="Roll back",
        deny="Not yet",
    )
    return ActionsBlock(
        elements=[
            ButtonElement(
                text="Roll back",
                action_id="incident.rollback",
                value=value,
                style="danger",
                confirm=confirm,
            ),
            ButtonElement(text="Not related", action_id="incident.not_related", value=value),
            ButtonElement(
                text="Already rolled back", action_id="incident.rolled_back", value=value
            ),
        ]
    ).to_dict()
