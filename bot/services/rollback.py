"""Rollback first, investigate second: the core's rule applied to an incident, and decisions.

The advice is re-evaluated on declaration, when the affected services change and when a deploy
of an affected service is reported; it is posted (and recorded) only when it says something new.
A decision (roll back, not related, already rolled back) is recorded with who made it; rolling
back shows the catalog's steps and calls the service's signed rollback webhook.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from bot.core import durations, rollback
from bot.core.model import Event, EventKind
from bot.core.policy import RollbackRule
from bot.core.rollback import Deploy, Recommendation
from bot.playbooks.loader import Playbooks
from bot.services.access import NotPermitted
from bot.services.chat import Chat, Message, tell_each
from bot.services.deploys import DeployService
from bot.services.incidents import Changed, IncidentService
from bot.services.read_model import IncidentView
from bot.services.records import BOT

log = logging.getLogger(__name__)
DECISION_LOOKBACK = durations.parse("7d")  # how far back a decided-on deploy is looked for

RollbackHook = Callable[[str, dict[str, Any], str], tuple[bool, str]]
"""Calls a catalog's rollback webhook: (url, payload, secret) -> (succeeded, what happened);
never raises."""


class Decision(enum.StrEnum):
    ROLL_BACK = "roll back"
    NOT_RELATED = "not related"
    ROLLED_BACK = "already rolled back"


@dataclass(frozen=True)
class DeployRef:
    """A deploy as a decision names it; ``finished_at`` is its ISO-8601 UTC time. ``basis``:
    how many decisions about it the button's message showed (None: not known, a message
    posted before buttons carried it); a decision counts only on the basis it was offered on."""

    incident_id: int
    service: str
    version: str
    finished_at: str
    basis: int | None = None


@dataclass(frozen=True)
class UnknownDeploy:
    """The deploy a decision names is no longer found."""


@dataclass(frozen=True)
class NotOpen:
    """Nothing to decide: the incident is resolved or closed."""

    view: IncidentView
    deploy: Deploy


@dataclass(frozen=True)
class AlreadyDecided:
    """Someone decided about the deploy since the button was shown (``earlier``, the latest
    decision, one of ``basis`` so far): nothing was recorded. When ``asked`` differs from it,
    changing it is a new decision, offered on ``basis``."""

    earlier: Event
    deploy: Deploy
    asked: Decision
    basis: int


Refusal = UnknownDeploy | NotOpen | AlreadyDecided | NotPermitted


class RollbackWording(Protocol):
    def advice(
        self, view: IncidentView, recommendation: Recommendation, rule: RollbackRule
    ) -> Message: ...

    def decision_changed(
        self, user: str, deploy: Deploy, earlier: Event, decision: Decision
    ) -> Message: ...

    def rolling_back(self, user: str, deploy: Deploy, instructions: str | None) -> Message: ...

    def not_related(self, user: str, deploy: Deploy) -> Message: ...

    def already_rolled_back(self, user: str, deploy: Deploy) -> Message: ...

    def hook_not_signed(self) -> Message: ...

    def hook_answered(self, deploy: Deploy, succeeded: bool, detail: str) -> Message: ...

    def deployed_during(self, deploy: Deploy) -> Message:
        """A deploy of an affected service that finished while the incident was under way."""
        ...


def signature(recommendation: Recommendation) -> str:
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
        chat: Chat,
        wording: RollbackWording,
        playbooks: Playbooks,
        webhook_secret: str | None,
        hook: RollbackHook,
    ) -> None:
        self.incidents = incidents
        self.deploys = deploys
        self.chat = chat
        self.wording = wording
        self.playbooks = playbooks
        self.webhook_secret = webhook_secret
        self.hook = hook  # calls the catalog's rollback webhooks (the sandbox swaps it)

    def rule(self, view: IncidentView) -> RollbackRule | None:
        return self.playbooks.policies[view.severity].rollback

    def recommend(self, view: IncidentView) -> Recommendation | None:
        """What the rule says about the incident now; None when it does not apply."""
        rule = self.rule(view)
        if rule is None or not view.services or not view.is_open:
            return None
        known = self.deploys.before(view.services, view.started_at, rule.window)
        return rollback.recommend(view.started_at, view.services, known, rule)

    def advise(self, view: IncidentView) -> bool:
        """Post the rule's advice in the incident channel if it is new, and record it; True if
        posted.

        Raises ChatFailure when the post fails (nothing is recorded then)."""
        advised = self.advice(view)
        if advised is None:
            return False
        self.incidents.record_unless(view.id, advised, lambda _view: None)
        return True

    def advice(self, view: IncidentView) -> Event | None:
        """Post the rule's advice in the incident channel if it is new; the event that records
        it (for the caller to append, in a write of its own making), or None when nothing was
        posted.

        Raises ChatFailure when the post fails."""
        recommendation = self.recommend(view)
        rule = self.rule(view)
        if recommendation is None or rule is None or view.channel_id is None:
            return None
        said = signature(recommendation)
        if said in {e.extra.get("signature") for e in _of(view, EventKind.ROLLBACK_ADVISED)}:
            return None
        self.chat.post(view.channel_id, self.wording.advice(view, recommendation, rule))
        newest = recommendation.suspects[0].deploy if recommendation.suspects else None
        return self.incidents.event(
            EventKind.ROLLBACK_ADVISED,
            BOT,
            text=str(recommendation.advice),
            extra={"signature": said, **deploy_fields(newest)},
        )

    def deploy_reported(self, deploy: Deploy) -> int:
        """A new deploy: re-advise every open incident it affects; returns how many.

        One incident that fails is logged; the others are still advised."""
        advised = 0
        for view in self.incidents.open_incidents({deploy.service}):
            if deploy.service in view.services:
                try:
                    self._deployed_during(view, deploy)
                    advised += self.advise(view)
                except Exception:
                    log.exception("could not advise", extra={"incident_id": view.id})
        return advised

    def _deployed_during(self, view: IncidentView, deploy: Deploy) -> None:
        """A deploy of an affected service since the incident started (a fix, a rollback, or a
        new cause) goes in its timeline and is said in its channel, once."""
        if deploy.finished_at < view.started_at:
            return  # before the start: the rollback rule's business
        reported = self.incidents.event(
            EventKind.DEPLOY_REPORTED, BOT, text=deploy.version, extra=deploy_fields(deploy)
        )
        recorded = self.incidents.record_unless(
            view.id,
            reported,
            lambda _now: None,
            once=lambda now: f"deploy:{now.id}:{_key(deploy)}",
        )
        if isinstance(recorded, Changed):
            self._say(recorded.view, self.wording.deployed_during(deploy))

    def decide(
        self,
        user: str,
        decision: Decision,
        ref: DeployRef,
        allowed: Callable[[IncidentView], NotPermitted | None],
    ) -> Refusal | None:
        """Record ``user``'s ``decision`` about a deploy and carry it out, once however many
        press at once; a refusal says why nothing was recorded (``allowed`` is who may, asked
        of the locked incident). Raises ChatFailure when the channel cannot be told."""
        view = self.incidents.get(ref.incident_id)
        deploy = self._find(view, ref)
        if deploy is None:
            return UnknownDeploy()
        decided_now = self.incidents.event(
            EventKind.ROLLBACK_DECIDED,
            user,
            text=str(decision),
            extra={"decision": str(decision), **deploy_fields(deploy)},
        )

        def basis(now: IncidentView) -> int:
            known = len(decisions(now, deploy))
            if ref.basis is not None:
                return ref.basis
            earlier = decided(now, deploy)  # an older button: it may change another decision
            return known if earlier is None or earlier.text != decision else known - 1

        def refuse(now: IncidentView) -> Refusal | None:
            if (forbidden := allowed(now)) is not None:
                return forbidden
            if not now.is_open:
                return NotOpen(now, deploy)
            known = decisions(now, deploy)
            if len(known) > basis(now):
                return AlreadyDecided(known[-1], deploy, decision, len(known))
            if len(known) < basis(now):
                return UnknownDeploy()  # no button of ours was shown on that basis
            return None

        def once(now: IncidentView) -> str:
            return f"rollback:{now.id}:{_key(deploy)}:{basis(now)}"

        recorded: Changed | Refusal = self.incidents.record_unless(
            view.id, decided_now, refuse, once
        )
        if not isinstance(recorded, Changed):
            return recorded
        view = recorded.view
        earlier = decided(view, deploy, before=recorded.event.seq)
        if earlier is not None:
            self._say(view, self.wording.decision_changed(user, deploy, earlier, decision))
        if decision is Decision.ROLL_BACK:
            self._roll_back(view, user, deploy)
        elif decision is Decision.NOT_RELATED:
            self._say(view, self.wording.not_related(user, deploy))
        else:
            self._say(view, self.wording.already_rolled_back(user, deploy))
        return None

    def _find(self, view: IncidentView, ref: DeployRef) -> Deploy | None:
        candidates = self.deploys.before({ref.service}, view.started_at, DECISION_LOOKBACK)
        return next(
            (
                d
                for d in candidates
                if d.version == ref.version and d.finished_at.isoformat() == ref.finished_at
            ),
            None,
        )

    def _roll_back(self, view: IncidentView, user: str, deploy: Deploy) -> None:
        """Call the catalog's rollback webhook first (production does not wait on Slack, and
        a chat failure cannot keep it from happening), record its answer, then tell the
        channel; ChatFailure, after every message was tried, if one could not be told."""
        service = self.playbooks.catalog.service(deploy.service)
        steps = service.rollback.instructions if service else None
        told = [self.wording.rolling_back(user, deploy, steps)]
        if service is not None and service.rollback.webhook is not None:
            if not self.webhook_secret:
                told.append(self.wording.hook_not_signed())
            else:
                payload = {"incident": view.id, "requested_by": user, **deploy_fields(deploy)}
                succeeded, detail = self.hook(
                    service.rollback.webhook, payload, self.webhook_secret
                )
                self.incidents.record(
                    view.id,
                    EventKind.NOTE_ADDED,
                    BOT,
                    text=f"rollback webhook for {deploy.service}: {detail}",
                )
                told.append(self.wording.hook_answered(deploy, succeeded, detail))
        tell_each(*(partial(self._say, view, message) for message in told))

    def _say(self, view: IncidentView, message: Message) -> None:
        if view.channel_id:
            self.chat.post(view.channel_id, message)


def _of(view: IncidentView, kind: EventKind) -> list[Event]:
    return [event for event in view.events if event.kind is kind]


def decisions(view: IncidentView, deploy: Deploy, before: int | None = None) -> list[Event]:
    """The decisions recorded about ``deploy`` in this incident (before timeline entry
    ``before``, if given), oldest first."""
    return [
        event
        for event in _of(view, EventKind.ROLLBACK_DECIDED)
        if (before is None or event.seq < before)
        and event.extra.get("service") == deploy.service
        and event.extra.get("version") == deploy.version
        and event.extra.get("finished_at") == deploy.finished_at.isoformat()
    ]


def decided(view: IncidentView, deploy: Deploy, before: int | None = None) -> Event | None:
    """The latest decision recorded about ``deploy`` (before entry ``before``), if any."""
    found = decisions(view, deploy, before)
    return found[-1] if found else None


def _key(deploy: Deploy) -> str:
    return f"{deploy.service}@{deploy.version}@{deploy.finished_at.isoformat()}"


def deploy_fields(deploy: Deploy | None) -> dict[str, str]:
    """A deploy as timeline ``extra`` fields (empty ones left out)."""
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
