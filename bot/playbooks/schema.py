"""The shape of playbook and catalog files, and their conversion to the core's policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, model_validator

from bot.core import durations
from bot.core.deadline_kinds import DeadlineKind
from bot.core.model import EventKind, Severity
from bot.core.policy import (
    PostmortemRule,
    ResponseRule,
    RollbackRule,
    SeverityPolicy,
    StatusUpdateRule,
)


def _duration(value: object) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration: expected {durations.EXAMPLE}")
    return durations.parse(value)


Duration = Annotated[timedelta, PlainValidator(_duration)]


def _unique(values: list[timedelta]) -> list[timedelta]:
    if len(set(values)) != len(values):
        raise ValueError("lists the same lead time twice")
    return values


LeadTimes = Annotated[list[Duration], AfterValidator(_unique)]
SlackUserGroup = Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$", examples=["S0123ABCD"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetWhen(Strict):
    commander: bool = Field(description="an incident commander must be assigned")
    responders: int = Field(ge=1, description="distinct people, the commander included")
    counted: list[Literal["acknowledged", "joined"]] = Field(min_length=1)


class Response(Strict):
    kind: Literal["assemble", "respond"]
    within: Duration
    met_when: MetWhen
    remind_before: LeadTimes = []

    def to_rule(self) -> ResponseRule:
        return ResponseRule(
            kind=DeadlineKind(self.kind),
            within=self.within,
            responders=self.met_when.responders,
            commander_required=self.met_when.commander,
            counted=frozenset(EventKind(kind) for kind in self.met_when.counted),
            reminders=tuple(self.remind_before),
        )


class StatusUpdates(Strict):
    first_within: Duration
    next_update_choices: list[Duration] = Field(min_length=1)
    remind_before: LeadTimes = []


class Postmortem(Strict):
    due_after_resolution: Duration
    remind_before: LeadTimes = []


class Rollback(Strict):
    window: Duration
    urgent: Duration

    @model_validator(mode="after")
    def _urgent_inside_window(self) -> Rollback:
        if self.urgent > self.window:
            raise ValueError("urgent must not be longer than window")
        return self


class FirstActions(Strict):
    headline: str = Field(min_length=1)
    checklist: list[str] = Field(min_length=1)
    offers: list[
        Literal[
            "rollback",
            "failover",
            "scale_up",
            "recent_deploys",
            "alerts",
            "dependency_health",
            "ticket",
        ]
    ] = []


class Escalation(Strict):
    user_group: SlackUserGroup | None = None
    page: bool = False


class Playbook(Strict):
    kind: Literal["playbook"]
    severity: Severity
    meaning: str = Field(min_length=1)
    channel: bool
    response: Response | None = None
    status_updates: StatusUpdates | None = None
    postmortem: Postmortem | None = None
    rollback: Rollback | None = None
    first_actions: FirstActions
    escalation: Escalation = Escalation()

    def to_policy(self) -> SeverityPolicy:
        return SeverityPolicy(
            severity=self.severity,
            response=self.response.to_rule() if self.response else None,
            status_updates=(
                StatusUpdateRule(
                    self.status_updates.first_within, tuple(self.status_updates.remind_before)
                )
                if self.status_updates
                else None
            ),
            postmortem=(
                PostmortemRule(
                    self.postmortem.due_after_resolution, tuple(self.postmortem.remind_before)
                )
                if self.postmortem
                else None
            ),
            rollback=RollbackRule(self.rollback.window, self.rollback.urgent)
            if self.rollback
            else None,
        )


Dependency = Annotated[
    str, Field(pattern=r"^(https?://\S+|[A-Za-z0-9.\-]+:\d{1,5})$", examples=["db.internal:5432"])
]


class ServiceRollback(Strict):
    instructions: str = Field(min_length=1)
    webhook: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class Service(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    team: str = Field(min_length=1)
    user_group: SlackUserGroup
    dependencies: list[Dependency] = []
    rollback: ServiceRollback
    pagerduty_routing_key: str | None = None


class Catalog(Strict):
    kind: Literal["catalog"]
    alert_label: str = "service"
    services: list[Service]

    @model_validator(mode="after")
    def _names_unique(self) -> Catalog:
        names = [service.name for service in self.services]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"service names must be unique; repeated: {', '.join(duplicates)}")
        return self

    def secret_values(self) -> list[str]:
        """What the catalog holds that must never reach a log line: PagerDuty routing keys."""
        return [s.pagerduty_routing_key for s in self.services if s.pagerduty_routing_key]

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)
