"""Rollback advice and decisions in Slack: the rule in the playbook's numbers, the suspect
deploys with their three buttons, what each decision says in the channel, and refusals."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ConfirmObject

from bot.adapters.slack import blocks, mrkdwn, verbs
from bot.core import durations
from bot.core.model import Event
from bot.core.policy import RollbackRule
from bot.core.rollback import Advice, Deploy, Recommendation, SuspectDeploy
from bot.playbooks.loader import Playbooks
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.rollback import AlreadyDecided, Decision, DeployRef, NotOpen, Refusal

MOST_SUSPECTS = 5


def encode(ref: DeployRef) -> str:
    """A button's value: ``incident|service|version|finished_at``."""
    return "|".join([str(ref.incident_id), ref.service, ref.version, ref.finished_at])


def decode(value: str) -> DeployRef:
    incident, service, version, finished = value.split("|", 3)
    return DeployRef(int(incident), service, version, finished)


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


def _said(text: str) -> Message:
    return Message(blocks.notice(text, ""), text)


def _what(deploy: Deploy) -> str:
    return f"`{mrkdwn.escape(deploy.service)}` {mrkdwn.escape(deploy.version)}"


class SlackRollbackWording:
    def __init__(self, playbooks: Playbooks) -> None:
        self.playbooks = playbooks

    def advice(
        self, view: IncidentView, recommendation: Recommendation, rule: RollbackRule
    ) -> Message:
        if recommendation.advice is Advice.ESCALATE:
            return self._escalation(recommendation, rule)
        head = headline(recommendation.advice, rule)
        content = blocks.notice(f"{head}\n_{protocol(rule)}_", "")
        for suspect in recommendation.suspects[:MOST_SUSPECTS]:
            content += blocks.notice(_describe(suspect), "")
            content.append(_buttons(view.id, suspect.deploy))
        return Message(content, head)

    def _escalation(self, recommendation: Recommendation, rule: RollbackRule) -> Message:
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
        return Message(
            blocks.notice(text, ""), "Not correlated with a deploy: escalate to the owning team"
        )

    def decision_changed(
        self, user: str, deploy: Deploy, earlier: Event, decision: Decision
    ) -> Message:
        return _said(
            f":arrows_counterclockwise: {mrkdwn.user(user)} changes the decision on "
            f"{_what(deploy)} from _{mrkdwn.escape(earlier.text or '')}_ "
            f"({mrkdwn.user(earlier.actor)}) to _{decision}_."
        )

    def rolling_back(self, user: str, deploy: Deploy, instructions: str | None) -> Message:
        steps = (
            mrkdwn.escape(instructions)
            if instructions is not None
            else "_The catalog has no rollback instructions for this service._"
        )
        return _said(f":rewind: {mrkdwn.user(user)} is rolling back {_what(deploy)}.\n{steps}")

    def not_related(self, user: str, deploy: Deploy) -> Message:
        return _said(
            f":heavy_multiplication_x: {mrkdwn.user(user)} marked {_what(deploy)} as "
            "not related. If no other deploy explains it, escalate to the owning team."
        )

    def already_rolled_back(self, user: str, deploy: Deploy) -> Message:
        return _said(
            f":white_check_mark: {mrkdwn.user(user)} says {_what(deploy)} is already rolled back."
        )

    def hook_not_signed(self) -> Message:
        return _said(
            ":warning: The catalog names a rollback webhook, but "
            "DEPLOY_WEBHOOK_SECRET is not set, so I did not call it."
        )

    def hook_answered(self, deploy: Deploy, succeeded: bool, detail: str) -> Message:
        return _said(
            f":white_check_mark: The rollback webhook of {_what(deploy)} answered {detail}."
            if succeeded
            else f":x: The rollback webhook of {_what(deploy)} failed: "
            f"{mrkdwn.escape(detail)}. Roll back by hand with the steps above."
        )


def refusal(refused: Refusal) -> str:
    """Why a decision was not recorded, for the person who clicked (mrkdwn)."""
    if isinstance(refused, NotOpen):
        return (
            f"The incident is {refused.view.state}: nothing to decide about "
            f"{_what(refused.deploy)} now. Type `/incident reopen` if it is back."
        )
    if isinstance(refused, AlreadyDecided):
        earlier = refused.earlier
        return (
            f"{mrkdwn.user(earlier.actor)} already decided {_what(refused.deploy)}: "
            f"{refused.decision}, {mrkdwn.date(earlier.at, '{time}')}. Nothing was recorded twice."
        )
    return "I no longer find that deploy; type `/incident deploys` to see them."


def _describe(suspect: SuspectDeploy) -> str:
    deploy = suspect.deploy
    parts = [f"*{_what(deploy)}*"]
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
    value = encode(
        DeployRef(incident_id, deploy.service, deploy.version, deploy.finished_at.isoformat())
    )
    confirm = ConfirmObject(
        title="Roll back?",
        text=f"Roll back {deploy.service} "
        f"{deploy.version}: show the steps and call its rollback hook.",
        confirm="Roll back",
        deny="Not yet",
    )
    return ActionsBlock(
        elements=[
            verbs.ROLL_BACK.element(value, confirm=confirm),
            verbs.NOT_RELATED.element(value),
            verbs.ROLLED_BACK.element(value),
        ]
    ).to_dict()
