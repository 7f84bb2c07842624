"""The rollback advice states the rule in the playbook's numbers, not in the shipped ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.slack import rollback
from bot.adapters.slack.rollback import SlackRollbackWording
from bot.core import rollback as core_rollback
from bot.core.lifecycle import State
from bot.core.model import Incident, Severity
from bot.core.policy import RollbackRule
from bot.core.rollback import Advice, Deploy
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.services.read_model import IncidentView
from bot.services.records import StoredIncident
from tests.adapters.slack.conftest import SHIPPED_PLAYBOOKS, playbooks_with

START = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def advice(playbooks: Playbooks, deploy_age: timedelta | None) -> tuple[Advice, str]:
    """What the advisor posts for a Sev1 on checkout, with a deploy ``deploy_age`` old."""
    incident = Incident(
        title="checkout is down",
        severity=Severity.SEV1,
        state=State.INVESTIGATING,
        declared_at=START,
        declared_by="U0ALICE",
        started_at=START,
        services=("checkout",),
    )
    view = IncidentView.of(StoredIncident(1, incident), (), START)
    rule = playbooks.policies[Severity.SEV1].rollback
    assert rule is not None
    deploys = [Deploy("checkout", "v42", START - deploy_age)] if deploy_age else []
    recommendation = core_rollback.recommend(START, ("checkout",), deploys, rule)
    said = SlackRollbackWording(playbooks).advice(view, recommendation, rule)
    return recommendation.advice, json.dumps(said.content, ensure_ascii=False) + said.text


@pytest.fixture
def two_hours(tmp_path: Path) -> Playbooks:
    return playbooks_with(tmp_path, window="2h", urgent="30m")


def test_roll_back_first_names_the_playbooks_window(two_hours: Playbooks) -> None:
    said, text = advice(two_hours, timedelta(minutes=90))
    assert said is Advice.ROLL_BACK_FIRST
    assert "a deploy finished less than 2 hours before the issue started." in text
    assert "If the issue started after a deploy within the last 2 hours, roll back" in text
    assert "4 hours" not in text


def test_roll_back_now_names_the_playbooks_urgent_window(two_hours: Playbooks) -> None:
    said, text = advice(two_hours, timedelta(minutes=20))
    assert said is Advice.ROLL_BACK_NOW
    assert "*Roll back now*: a deploy finished less than 30 minutes before the issue" in text
    assert "within the last 2 hours" in text
    assert "1 hour" not in text


def test_escalation_names_the_playbooks_window(two_hours: Playbooks) -> None:
    said, text = advice(two_hours, timedelta(hours=3))
    assert said is Advice.ESCALATE
    assert "No deploy of checkout in the 2 hours before the issue started" in text


def test_the_shipped_rule_reads_as_it_always_has() -> None:
    rule = RollbackRule(window=timedelta(hours=4), urgent=timedelta(hours=1))
    assert loader.load(SHIPPED_PLAYBOOKS).policies[Severity.SEV1].rollback == rule
    assert rollback.protocol(rule) == (
        "If the issue started after a deploy within the last 4 hours, roll back first, "
        "investigate second. If it is not correlated with a deploy, escalate to the service "
        "team."
    )
    assert rollback.headline(Advice.ROLL_BACK_NOW, rule) == (
        ":rotating_light: *Roll back now*: a deploy finished less than 1 hour before the "
        "issue started."
    )
    assert rollback.headline(Advice.ROLL_BACK_FIRST, rule) == (
        ":rewind: *Roll back first, investigate second*: a deploy finished less than 4 "
        "hours before the issue started."
    )
