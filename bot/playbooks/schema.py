"""The shape of playbook and catalog files, and their conversion to the core's policies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, model_validator

from bot.core import durations
from bot.core.deadline_kinds import DeadlineKind
from bot.core.follow_ups import Destination
from bot.core.model import EventKind, Severity
from bot.core.policy import (
    EscalationRule,
    FollowUpRule,
    PostmortemRule,
    ResponseRule,
    RollbackRule,
    Rung,
    SeverityPolicy,
    StatusUpdateRule,
)
from bot.core.status_page import ComponentStatus, Opening


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


Steps = Annotated[list[Literal["owner", "group", "page"]], Field(min_length=1)]


class Postmortem(Strict):
    due_after_resolution: Duration
    remind_before: LeadTimes = []
    repeat_every: Duration | None = Field(
        None, description="a missed post-mortem is chased again this often (none: once)"
    )
    steps: Steps = ["owner", "group"]

    def to_rule(self) -> PostmortemRule:
        escalation = (
            EscalationRule(self.repeat_every, tuple(Rung(s) for s in self.steps))
            if self.repeat_every
            else None
        )
        return PostmortemRule(
            self.due_after_resolution, tuple(self.remind_before), escalation=escalation
        )


class FollowUps(Strict):
    due_after: Duration = Field(
        default=timedelta(days=14),
        description="a follow-up given no due date is due this long after",
    )
    remind_before: LeadTimes = []
    repeat_every: Duration | None = Field(
        None, description="a missed follow-up is chased again this often (none: once)"
    )
    steps: Steps = ["owner", "group"]

    def to_rule(self) -> FollowUpRule:
        escalation = (
            EscalationRule(self.repeat_every, tuple(Rung(s) for s in self.steps))
            if self.repeat_every
            else None
        )
        return FollowUpRule(self.due_after, tuple(self.remind_before), escalation)


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
    """The miss itself mentions ``user_group`` and pages if ``page``; then, while the deadline
    stays unmet and the incident goes on, every ``repeat_every`` the next of ``steps``."""

    user_group: SlackUserGroup | None = None
    page: bool = False
    repeat_every: Duration = Field(
        timedelta(minutes=30), description="a missed deadline still unmet is escalated this often"
    )
    steps: Steps | None = Field(
        None,
        description="who each escalation after the miss reaches, in turn, the last one again "
        "and again (default: owner, then group if there is a user_group, then page if page)",
    )

    def to_rule(self) -> EscalationRule:
        if self.steps:
            return EscalationRule(self.repeat_every, tuple(Rung(s) for s in self.steps))
        steps = [Rung.OWNER]
        steps += [Rung.GROUP] if self.user_group else []
        steps += [Rung.PAGE] if self.page else []
        return EscalationRule(self.repeat_every, tuple(steps))

    @model_validator(mode="after")
    def _groups_named(self) -> Escalation:
        if self.steps and "group" in self.steps and self.user_group is None:
            raise ValueError("a group step needs the user_group to escalate to")
        return self


SlackChannel = Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$", examples=["C0EXECS"])]


class Stakeholders(Strict):
    channels: list[SlackChannel] = Field(
        default=[],
        description="channels told of this severity's incidents besides the announcement "
        "channel (e.g. an executive channel for a Sev1): its announcement, status updates, "
        "changes and resolution, each as a message of its own",
    )


class StatusPagePlan(Strict):
    """What a declaration of this severity does on the status page (when one is configured
    and the catalog maps its services to the page's components)."""

    open: Opening = Field(
        Opening.OFFER, description="offer: a button in the channel; auto: the bot opens it"
    )
    component_status: Literal["degraded_performance", "partial_outage", "major_outage"] = Field(
        "partial_outage", description="what the affected components show while it is open"
    )

    @property
    def components(self) -> ComponentStatus:
        return ComponentStatus(self.component_status)


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
    stakeholders: Stakeholders = Stakeholders()
    follow_ups: FollowUps = FollowUps()
    status_page: StatusPagePlan = StatusPagePlan()

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
            postmortem=self.postmortem.to_rule() if self.postmortem else None,
            rollback=RollbackRule(self.rollback.window, self.rollback.urgent)
            if self.rollback
            else None,
            escalation=self.escalation.to_rule(),
            follow_ups=self.follow_ups.to_rule(),
        )


Dependency = Annotated[
    str, Field(pattern=r"^(https?://\S+|[A-Za-z0-9.\-]+:\d{1,5})$", examples=["db.internal:5432"])
]


class ServiceRollback(Strict):
    instructions: str = Field(min_length=1)
    webhook: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class ServiceFollowUps(Strict):
    """Where a service's follow-ups are filed: a GitHub repository, or a Jira project."""

    github: (
        Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$", examples=["acme/checkout"])] | None
    ) = None
    jira: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$", examples=["PAY"])] | None = None
    issue_type: str = Field(default="Task", min_length=1, description="the Jira issue type")

    @model_validator(mode="after")
    def _one_tracker(self) -> ServiceFollowUps:
        if (self.github is None) == (self.jira is None):
            raise ValueError("name one tracker: `github: owner/repo` or `jira: PROJECTKEY`")
        return self

    def destination(self) -> Destination:
        if self.github is not None:
            return Destination("github", self.github)
        assert self.jira is not None
        return Destination("jira", self.jira, self.issue_type)


class ServiceOnPage(Strict):
    """The service on the public status page: its components there, and its public name."""

    components: list[Annotated[str, Field(pattern=r"^[a-z0-9]{6,20}$")]] = Field(min_length=1)
    name: str | None = Field(None, min_length=1, description="as customers know it")


class Service(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    team: str = Field(min_length=1)
    user_group: SlackUserGroup
    dependencies: list[Dependency] = []
    rollback: ServiceRollback
    pagerduty_routing_key: str | None = None
    follow_ups: ServiceFollowUps | None = None

    def follow_ups_destination(self) -> Destination | None:
        """Where its follow-ups are filed, if the catalog says."""
        return self.follow_ups.destination() if self.follow_ups else None

    status_page: ServiceOnPage | None = None


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

    def on_page(self, services: Iterable[str]) -> list[tuple[str, list[str]]]:
        """(public name, component ids) of each of ``services`` the status page shows."""
        found = [s for name in services if (s := self.service(name)) and s.status_page]
        return [
            (s.status_page.name or s.name.capitalize(), list(s.status_page.components))
            for s in found
            if s.status_page
        ]

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)
