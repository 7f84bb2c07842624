"""The rollback rule: a recent deploy of an affected service means roll back first."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.policy import RollbackRule


class Advice(enum.StrEnum):
    ROLL_BACK_NOW = "roll back now"
    ROLL_BACK_FIRST = "roll back first"
    ESCALATE = "escalate to the owning team"


@dataclass(frozen=True)
class Deploy:
    service: str
    version: str
    finished_at: datetime
    deployer: str | None = None
    commit: str | None = None
    environment: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SuspectDeploy:
    deploy: Deploy
    age_at_start: timedelta
    """How long before the issue started the deploy finished."""


@dataclass(frozen=True)
class Recommendation:
    advice: Advice
    suspects: tuple[SuspectDeploy, ...]
    """Deploys inside the window, newest first; empty when the advice is to escalate."""
    services: tuple[str, ...]
    """The affected services, whose owning teams hear about an escalation."""

    @property
    def rolls_back(self) -> bool:
        return self.advice is not Advice.ESCALATE


def recommend(
    started_at: datetime,
    services: Collection[str],
    deploys: Iterable[Deploy],
    rule: RollbackRule,
) -> Recommendation:
    """Roll back now (deploy under ``urgent``), roll back first (under ``window``), or escalate.

    Only deploys of an affected service that finished at or before the start count; a deploy
    exactly ``window`` old is outside it ("less than 4 hours"), one exactly ``urgent`` old is not
    urgent ("under 1 hour").
    """
    suspects = sorted(
        (
            SuspectDeploy(deploy, started_at - deploy.finished_at)
            for deploy in deploys
            if deploy.service in services
            and timedelta(0) <= started_at - deploy.finished_at < rule.window
        ),
        key=lambda suspect: suspect.age_at_start,
    )
    if not suspects:
        advice = Advice.ESCALATE
    elif suspects[0].age_at_start < rule.urgent:
        advice = Advice.ROLL_BACK_NOW
    else:
        advice = Advice.ROLL_BACK_FIRST
    return Recommendation(advice, tuple(suspects), tuple(sorted(services)))
