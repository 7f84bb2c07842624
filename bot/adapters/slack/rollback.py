"""Rollback advice and decisions in Slack: the rule in the playbook's numbers, the suspect
deploys with their three buttons, what each decision says in the channel, and refusals."""

from __future__ import annotations

import hashlib
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject

from bot.adapters.slack import access, blocks, mrkdwn, numbers, verbs
from bot.core import durations
from bot.core.model import Event
from bot.core.policy import RollbackRule
from bot.core.rollback import Advice, Deploy, Recommendation, SuspectDeploy
from bot.playbooks.loader import Playbooks
from bot.services.access import NotPermitted
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.rollback import (
    AlreadyDecided,
    Decision,
    DeployRef,
    NotOpen,
    Refusal,
    decisions,
)

MOST_SUSPECTS = 5


def encode(ref: DeployRef) -> str:
    """A button's value: ``b<basis>|incident|service|version|finished_at`` (without the basis
    before buttons carried it)."""
    fields = [str(ref.incident_id), ref.service, ref.finished_at, ref.version]
    basis = [] if ref.basis is None else [f"b{ref.basis}"]
    return "|".join([*basis, *fields])


def decode(value: str) -> DeployRef:
    """The deploy a button's value names; ValueError for a value no button of ours holds."""
    basis: int | None = None
    if value.startswith("b"):
        first, _, value = value.partition("|")
        basis = numbers.whole(first[1:])
        incident, service, finished, version = value.split("|", 3)
    else:  # the older order
        incident, service, version, finished = value.split("|", 3)
    return DeployRef(numbers.whole(incident), service, version, finished, basis)


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
            basis = len(decisions(view, suspect.deploy))
            content.append(decision_buttons(view.id, suspect.deploy, basis))
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

    def deployed_during(self, deploy: Deploy) -> Message:
        by = f" by {mrkdwn.user(deploy.deployer)}" if deploy.deployer else ""
        return _said(
            f":package: {_what(deploy)} was deployed during the incident, "
            f"{mrkdwn.date(deploy.finished_at, '{time}')}{by}. If it is the fix or a rollback, "
            "watch whether the errors fall; if things got worse since, it may be a cause."
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
    if isinstance(refused, NotPermitted):
        return access.refusal(refused)
    if isinstance(refused, NotOpen):
        return (
            f"The incident is {refused.view.state}: nothing to decide about "
            f"{_what(refused.deploy)} now. Type `/incident reopen` if it is back."
        )
    if isinstance(refused, AlreadyDecided):
        earlier = refused.earlier
        said = (
            f"{mrkdwn.user(earlier.actor)} already decided {_what(refused.deploy)}: "
            f"_{mrkdwn.escape(earlier.text or '')}_, {mrkdwn.date(earlier.at, '{time}')}. "
            "Nothing was recorded."
        )
        if earlier.text != refused.asked:
            said += f" To change it to _{refused.asked}_, press the button below."
        return said
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


def change_button(incident_id: int, refused: AlreadyDecided) -> dict[str, Any] | None:
    """The explicit change of mind a refusal offers: the asked decision, on the new basis."""
    if refused.earlier.text == refused.asked:
        return None
    deploy = refused.deploy
    ref = DeployRef(
        incident_id,
        deploy.service,
        deploy.version,
        deploy.finished_at.isoformat(),
        refused.basis,
    )
    return _changes(ref, [refused.asked])


def decided_row(ref: DeployRef, decision: Decision, user: str) -> list[dict[str, Any]]:
    """What takes the place of a deploy's buttons once ``user`` decided: the decision, and
    the other decisions as explicit changes of mind, on the next basis."""
    basis = (ref.basis if ref.basis is not None else 0) + 1
    after = DeployRef(ref.incident_id, ref.service, ref.version, ref.finished_at, basis)
    said = blocks.context(
        f"{mrkdwn.user(user)} decided about `{mrkdwn.escape(ref.service)}` "
        f"{mrkdwn.escape(ref.version)}: _{decision}_."
    )
    return [*said, _changes(after, [d for d in Decision if d is not decision])]


_BUTTONS = {
    Decision.ROLL_BACK: verbs.ROLL_BACK,
    Decision.NOT_RELATED: verbs.NOT_RELATED,
    Decision.ROLLED_BACK: verbs.ROLLED_BACK,
}


def _changes(ref: DeployRef, decisions: list[Decision]) -> dict[str, Any]:
    """A row of "Change to: …" buttons about ``ref``'s deploy, on its basis."""
    value = encode(ref)
    elements = [
        ButtonElement(
            text=f"Change to: {decision}",
            action_id=_BUTTONS[decision].action_id,
            value=value,
            style=_BUTTONS[decision].style,
            confirm=_confirm_roll_back(ref.service, ref.version)
            if decision is Decision.ROLL_BACK
            else None,
        )
        for decision in decisions
    ]
    block_id = f"rollback-{ref.basis}-" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return ActionsBlock(block_id=block_id, elements=elements).to_dict()


def _confirm_roll_back(service: str, version: str) -> ConfirmObject:
    return ConfirmObject(
        title="Roll back?",
        text=f"Roll back {service} {version}: show the steps and call its rollback hook.",
        confirm="Roll back",
        deny="Not yet",
    )


def decision_buttons(incident_id: int, deploy: Deploy, basis: int) -> dict[str, Any]:
    """Roll back (asked to confirm), Not related, Already rolled back, about ``deploy``,
    on the ``basis`` of the decisions about it so far."""
    value = encode(
        DeployRef(
            incident_id, deploy.service, deploy.version, deploy.finished_at.isoformat(), basis
        )
    )
    return ActionsBlock(
        elements=[
            verbs.ROLL_BACK.element(
                value, confirm=_confirm_roll_back(deploy.service, deploy.version)
            ),
            verbs.NOT_RELATED.element(value),
            verbs.ROLLED_BACK.element(value),
        ]
    ).to_dict()
