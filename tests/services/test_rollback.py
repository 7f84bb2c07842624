"""The rollback use case in process: advice once per change, decisions recorded once, the hook."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import RollbackRule
from bot.core.rollback import Advice, Deploy, Recommendation
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.services.chat import ChatFailure, Message
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.services.rollback import (
    AlreadyDecided,
    Decision,
    DeployRef,
    NotOpen,
    RollbackAdvisor,
    UnknownDeploy,
)
from tests.services.fakes import FakeChat

T0 = datetime.fromisoformat("2026-03-14T03:00:00+00:00")
ROOT = Path(__file__).resolve().parents[2]


class Wording:
    """Each message as a short tag naming what was said."""

    def advice(self, view: IncidentView, rec: Recommendation, rule: RollbackRule) -> Message:
        return _said(f"advice {rec.advice} {[s.deploy.version for s in rec.suspects]}")

    def decision_changed(
        self, user: str, deploy: Deploy, earlier: Event, decision: Decision
    ) -> Message:
        return _said(f"changed {earlier.text} -> {decision} by {user}")

    def rolling_back(self, user: str, deploy: Deploy, instructions: str | None) -> Message:
        return _said(f"rolling back {deploy.version} by {user}: {instructions}")

    def not_related(self, user: str, deploy: Deploy) -> Message:
        return _said(f"not related {deploy.version}")

    def already_rolled_back(self, user: str, deploy: Deploy) -> Message:
        return _said(f"already rolled back {deploy.version}")

    def hook_not_signed(self) -> Message:
        return _said("hook not signed")

    def deployed_during(self, deploy: Deploy) -> Message:
        return _said(f"deployed during {deploy.version}")

    def hook_answered(self, deploy: Deploy, succeeded: bool, detail: str) -> Message:
        return _said(f"hook {'ok' if succeeded else 'failed'}: {detail}")


def _said(text: str) -> Message:
    return Message([], text)


@dataclass
class Hook:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, url: str, payload: dict[str, Any], secret: str) -> tuple[bool, str]:
        self.calls.append((url, payload))
        return True, "HTTP 202"


@dataclass
class World:
    incidents: IncidentService
    deploys: DeployService
    chat: FakeChat
    hook: Hook
    advisor: RollbackAdvisor
    playbooks: Playbooks
    clock: list[datetime]

    def declare(self, services: tuple[str, ...] = ("checkout",)) -> IncidentView:
        declared = self.incidents.declare(
            severity=Severity.SEV1, title="checkout 500s", by="U0ALICE", services=services
        )
        incident_id = declared.view.id
        self.incidents.attach_channel(incident_id, f"C0INC{incident_id}", f"inc-{incident_id}")
        return self.incidents.get(incident_id)

    def deploy(self, version: str, minutes_before: int, service: str = "checkout") -> Deploy:
        deploy = Deploy(service, version, T0 - timedelta(minutes=minutes_before), "U0DANA")
        self.deploys.record(deploy, "test")
        return deploy


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path) -> World:
    clock = [T0]
    units = units_of_work(sessions)
    playbooks = loader.load(ROOT / "playbooks")
    checkout = playbooks.catalog.service("checkout")
    assert checkout is not None
    hooked = checkout.rollback.model_copy(update={"webhook": "http://127.0.0.1:9/rollback"})
    services = playbooks.catalog.services
    services[services.index(checkout)] = checkout.model_copy(update={"rollback": hooked})
    incidents = IncidentService(units, playbooks.policies, lambda: clock[0])
    deploys = DeployService(units, lambda: clock[0])
    chat, hook = FakeChat(), Hook()
    advisor = RollbackAdvisor(incidents, deploys, chat, Wording(), playbooks, "hook-secret", hook)
    return World(incidents, deploys, chat, hook, advisor, playbooks, clock)


def said(world: World) -> list[str]:
    """What was posted, in order."""
    return [text for _, text in world.chat.to("post")]


def ref(view: IncidentView, deploy: Deploy, basis: int | None = None) -> DeployRef:
    finished = deploy.finished_at.isoformat()
    return DeployRef(view.id, deploy.service, deploy.version, finished, basis)


def ANYONE(_view: IncidentView) -> None:
    return None


def kinds(world: World, incident_id: int) -> list[EventKind]:
    return [event.kind for event in world.incidents.get(incident_id).events]


def test_advice_is_posted_and_recorded_once_until_it_changes(world: World) -> None:
    world.deploy("v41", minutes_before=30)
    view = world.declare()
    assert world.advisor.advise(view) is True
    assert world.advisor.advise(world.incidents.get(view.id)) is False
    assert said(world) == [f"advice {Advice.ROLL_BACK_NOW} ['v41']"]
    world.deploy("v42", minutes_before=10)
    assert world.advisor.advise(world.incidents.get(view.id)) is True
    assert kinds(world, view.id).count(EventKind.ROLLBACK_ADVISED) == 2


def test_no_deploy_in_the_window_advises_escalation(world: World) -> None:
    world.deploy("v40", minutes_before=5 * 60)
    view = world.declare()
    recommendation = world.advisor.recommend(view)
    assert recommendation is not None
    assert recommendation.advice is Advice.ESCALATE


def test_a_failed_post_records_no_advice(world: World) -> None:
    world.deploy("v41", minutes_before=30)
    view = world.declare()
    world.chat.failing.add("post")
    with pytest.raises(ChatFailure):
        world.advisor.advise(view)
    assert EventKind.ROLLBACK_ADVISED not in kinds(world, view.id)


def test_a_deploy_re_advises_only_the_incidents_of_its_service(world: World) -> None:
    checkout = world.declare(("checkout",))
    search = world.declare(("search",))
    deploy = world.deploy("v43", minutes_before=20)
    assert world.advisor.deploy_reported(deploy) == 1
    assert EventKind.ROLLBACK_ADVISED in kinds(world, checkout.id)
    assert EventKind.ROLLBACK_ADVISED not in kinds(world, search.id)


def test_rolling_back_shows_the_steps_calls_the_hook_and_records_both(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    assert world.advisor.decide("U0BOB", Decision.ROLL_BACK, ref(view, deploy), ANYONE) is None
    service = world.playbooks.catalog.service("checkout")
    assert service is not None
    assert said(world) == [
        f"rolling back v41 by U0BOB: {service.rollback.instructions}",
        "hook ok: HTTP 202",
    ]
    [(url, payload)] = world.hook.calls
    assert (url, payload["requested_by"], payload["version"], payload["incident"]) == (
        "http://127.0.0.1:9/rollback",
        "U0BOB",
        "v41",
        view.id,
    )
    recorded = world.incidents.get(view.id).events
    note = recorded[-1]
    assert (note.kind, note.text) == (
        EventKind.NOTE_ADDED,
        "rollback webhook for checkout: HTTP 202",
    )
    decision = next(e for e in recorded if e.kind is EventKind.ROLLBACK_DECIDED)
    assert (decision.actor, decision.text, decision.extra["version"]) == (
        "U0BOB",
        "roll back",
        "v41",
    )


def test_the_same_decision_twice_is_refused_and_a_change_of_mind_is_said(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    assert world.advisor.decide("U0BOB", Decision.NOT_RELATED, ref(view, deploy), ANYONE) is None
    again = world.advisor.decide("U0CAROL", Decision.NOT_RELATED, ref(view, deploy), ANYONE)
    assert isinstance(again, AlreadyDecided)
    assert (again.earlier.actor, again.asked) == ("U0BOB", Decision.NOT_RELATED)
    assert world.advisor.decide("U0CAROL", Decision.ROLLED_BACK, ref(view, deploy), ANYONE) is None
    assert said(world) == [
        "not related v41",
        "changed not related -> already rolled back by U0CAROL",
        "already rolled back v41",
    ]
    assert kinds(world, view.id).count(EventKind.ROLLBACK_DECIDED) == 2


def test_decisions_on_a_resolved_incident_or_an_unknown_deploy_are_refused(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    gone = DeployRef(view.id, "checkout", "v99", deploy.finished_at.isoformat())
    assert isinstance(
        world.advisor.decide("U0BOB", Decision.ROLL_BACK, gone, ANYONE), UnknownDeploy
    )
    world.incidents.record(view.id, EventKind.RESOLVED, "U0ALICE")
    refused = world.advisor.decide("U0BOB", Decision.ROLL_BACK, ref(view, deploy), ANYONE)
    assert isinstance(refused, NotOpen)
    assert world.chat.to("post") == []
    assert world.hook.calls == []


def test_without_a_signing_secret_the_hook_is_not_called(world: World) -> None:
    world.advisor.webhook_secret = None
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    world.advisor.decide("U0BOB", Decision.ROLL_BACK, ref(view, deploy), ANYONE)
    assert said(world)[-1] == "hook not signed"
    assert world.hook.calls == []


def test_two_people_pressing_roll_back_at_once_roll_back_once(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    both_have_looked = threading.Barrier(2)  # each has read the incident before either records
    find = world.advisor._find

    def find_then_wait(seen: IncidentView, wanted: DeployRef) -> Deploy | None:
        found = find(seen, wanted)
        both_have_looked.wait()
        return found

    world.advisor._find = find_then_wait  # type: ignore[method-assign]
    outcomes: list[object] = []

    def press(user: str) -> None:
        outcomes.append(world.advisor.decide(user, Decision.ROLL_BACK, ref(view, deploy), ANYONE))

    pressers = [threading.Thread(target=press, args=(user,)) for user in ("U0BOB", "U0CAROL")]
    for presser in pressers:
        presser.start()
    for presser in pressers:
        presser.join()
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyDecided", "NoneType"]
    assert len(world.hook.calls) == 1
    assert kinds(world, view.id).count(EventKind.ROLLBACK_DECIDED) == 1


def test_a_button_decides_only_on_the_basis_it_was_shown_on(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    advice = ref(view, deploy, basis=0)
    assert world.advisor.decide("U0BOB", Decision.NOT_RELATED, advice, ANYONE) is None
    late = world.advisor.decide("U0CAROL", Decision.ROLL_BACK, advice, ANYONE)
    assert isinstance(late, AlreadyDecided)
    assert (late.earlier.actor, late.earlier.text, late.asked, late.basis) == (
        "U0BOB",
        "not related",
        Decision.ROLL_BACK,
        1,
    )
    assert world.hook.calls == []
    changed = world.advisor.decide("U0CAROL", Decision.ROLL_BACK, ref(view, deploy, 1), ANYONE)
    assert changed is None  # the change of mind, offered on the new basis
    assert len(world.hook.calls) == 1
    again = world.advisor.decide("U0DAN", Decision.ROLL_BACK, ref(view, deploy, 1), ANYONE)
    assert isinstance(again, AlreadyDecided)
    assert kinds(world, view.id).count(EventKind.ROLLBACK_DECIDED) == 2


def test_who_may_not_steer_decides_nothing(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    refused = world.advisor.decide(
        "U0X",
        Decision.ROLL_BACK,
        ref(view, deploy, 0),
        lambda _view: "not you",  # type: ignore[arg-type,return-value]
    )
    assert refused == "not you"
    assert world.hook.calls == []
    assert EventKind.ROLLBACK_DECIDED not in kinds(world, view.id)


def test_a_chat_that_fails_does_not_keep_the_rollback_from_happening(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    world.chat.failing.add("post")
    with pytest.raises(ChatFailure):
        world.advisor.decide("U0BOB", Decision.ROLL_BACK, ref(view, deploy, 0), ANYONE)
    assert len(world.hook.calls) == 1  # production rolled back, Slack or not
    kinds_now = kinds(world, view.id)
    assert kinds_now.count(EventKind.ROLLBACK_DECIDED) == 1
    assert kinds_now[-1] is EventKind.NOTE_ADDED  # and its answer recorded


def test_a_button_claiming_decisions_never_shown_decides_nothing(world: World) -> None:
    deploy = world.deploy("v41", minutes_before=30)
    view = world.declare()
    forged = world.advisor.decide("U0BOB", Decision.ROLL_BACK, ref(view, deploy, 5), ANYONE)
    assert isinstance(forged, UnknownDeploy)
    assert world.hook.calls == []


def test_a_deploy_of_an_affected_service_during_the_incident_is_said_once(world: World) -> None:
    world.deploy("v41", minutes_before=30)
    view = world.declare()
    during = Deploy("checkout", "v42", view.started_at + timedelta(minutes=5), deployer="U0BOB")
    world.deploys.record(during, source="test")
    world.advisor.deploy_reported(during)
    world.advisor.deploy_reported(during)  # reported again (the CLI and the webhook)
    assert said(world).count("deployed during v42") == 1
    reported = [
        e for e in world.incidents.get(view.id).events if e.kind is EventKind.DEPLOY_REPORTED
    ]
    assert [(e.text, e.extra["service"]) for e in reported] == [("v42", "checkout")]
