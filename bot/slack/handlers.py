"""What each /incident command and button does: call the service, update Slack, reply.

Nothing here knows about HTTP or Bolt; listeners.py turns requests into these calls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core import durations, lifecycle
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.playbooks.loader import Playbooks
from bot.services.access import Access
from bot.services.chat import ChatFailure
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate
from bot.services.rollback import RollbackAdvisor
from bot.services.signals import Signals, severity_for
from bot.slack import access, blocks, modals, mrkdwn, rollback, updates
from bot.slack.commands import Command
from bot.slack.gateway import SlackFailure
from bot.slack.postmortems import PostmortemDesk
from bot.slack.registry import Anywhere
from bot.slack.replies import Invocation, Reply, error, notice
from bot.slack.room import IncidentRoom
from bot.slack.verbs import VERBS
from bot.templates import Templates

log = logging.getLogger(__name__)


class Handlers:
    def __init__(
        self,
        service: IncidentService,
        room: IncidentRoom,
        playbooks: Playbooks,
        templates: Templates,
        deploys: DeployService,
        advisor: RollbackAdvisor,
        signals: Signals,
        access: Access,
        postmortems: PostmortemDesk,
    ) -> None:
        self.service = service
        self.room = room
        self.playbooks = playbooks
        self.templates = templates
        self.deploys = deploys
        self.advisor = advisor
        self.signals = signals
        self.access = access
        self.postmortems = postmortems

    # --- declaring ---------------------------------------------------------------------------

    def declare(
        self,
        who: Invocation,
        severity: Severity,
        title: str,
        *,
        services: tuple[str, ...] | None = None,
        started_at: datetime | None = None,
        description: str = "",
        request_key: str | None = None,
    ) -> Reply:
        refused = self.access.may_declare(who.user)
        if refused is not None:
            return error(access.refusal(refused))
        named = services if services is not None else self._services_named_in(title)
        declared = self.service.declare(
            severity=severity,
            title=title or "Untitled incident",
            by=who.user,
            services=named,
            started_at=started_at,
            description=description,
            request_key=request_key,
        )
        view = declared.view
        if not declared.created:
            return notice(f"{blocks.headline(view)} was already declared by this request.")
        opening = self.room.open(view)
        where = (
            f" in {mrkdwn.channel(opening.channel_id)}"
            if opening.channel_id
            else f": ticket {opening.ticket}"
            if opening.ticket
            else ""
        )
        lines = [f"{blocks.headline(view)} is declared{where}."]
        lines += [f"• {problem}" for problem in opening.problems]
        emoji = ":warning:" if opening.problems else ":rotating_light:"
        reply = notice("\n".join(lines), emoji)
        if opening.channel_id is None:
            return reply
        return replace(reply, then=lambda: self._after_opening(view.id, who.user))

    def _after_opening(self, incident_id: int, declarer: str) -> None:
        """Once the declarer has the channel: its topic, pin and announcement, then the
        rollback advice and the first actions. What failed is told to the declarer."""
        opened = self.service.get(incident_id)
        problems = self.room.furnish(opened)
        if problems and opened.channel_id is not None:
            text = "\n".join(["Setting up the channel, some of it failed:", *problems])
            self.room.gateway.ephemeral(
                opened.channel_id, declarer, blocks.notice(text, ":warning:"), text
            )
        self._advise(opened)
        self._first_actions(opened)

    def declare_now(self, who: Invocation, command: Command) -> Reply:
        """``/incident sev1 <title>``: one declaration per slash command, however often retried."""
        assert command.severity is not None
        return self.declare(
            who, command.severity, command.text, request_key=f"{who.team}:{who.trigger_id}"
        )

    def open_declaration(self, who: Invocation) -> None:
        form = modals.declaration(self.playbooks.catalog, who.channel)
        self.room.gateway.open_view(who.trigger_id, form)

    def _services_named_in(self, title: str) -> tuple[str, ...]:
        words = set(title.lower().replace(",", " ").split())
        return tuple(s.name for s in self.playbooks.catalog.services if s.name in words)

    # --- commands ------------------------------------------------------------------------------

    def command(self, who: Invocation, command: Command) -> Reply | None:
        """Run a parsed command: its verb's use case, on the channel's incident if it needs one."""
        verb = VERBS[command.name]
        if isinstance(verb.runs, Anywhere):
            return verb.runs.run(self, who, command)
        view = self.service.in_channel(who.channel)
        if view is None:
            outside = verb.runs.outside
            return error(
                outside(command)
                if outside
                else f"`/incident {mrkdwn.escape(verb.usage)}` works in an incident's channel. "
                "Type it there, or `/incident list` to find the incident."
            )
        return verb.runs.run(self, who, command, view)

    def click(self, who: Invocation, action_id: str, value: str) -> Reply | None:
        """A button of the registry, clicked."""
        return VERBS.button(action_id).click(self, who, value)

    def help(self) -> Reply:
        return Reply(blocks.help_text(), "/incident commands")

    def open_incidents(self) -> Reply:
        views = self.service.open_incidents()
        now = views[0].now if views else self.service.clock()
        return Reply(blocks.incident_list(views, now), f"{len(views)} open incident(s)")

    def resolve(self, who: Invocation, incident_id: int) -> Reply | None:
        view = self.service.get(incident_id)
        rule = self.playbooks[view.severity].postmortem
        due = view.now + rule.due_after_resolution if rule else None
        message = self.templates.render("resolution.md.j2", who=who.user, postmortem_due=due)
        return self.act(who, incident_id, EventKind.RESOLVED, message)

    def act(
        self,
        who: Invocation,
        incident_id: int,
        kind: EventKind,
        message: str,
        *,
        severity: Severity | None = None,
        subject: str | None = None,
        text: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Reply | None:
        """Record ``kind``, refresh the card and tell the channel; a refusal is a Reply."""
        steering = VERBS.steering(kind)
        if steering is not None:
            incident = self.service.get(incident_id)
            refused = self.access.may_steer(who.user, steering.phrase, incident)
            if refused is not None:
                return error(access.refusal(refused))
        try:
            changed = self.service.record(
                incident_id,
                kind,
                who.user,
                severity=severity,
                subject=subject,
                text=text,
                extra=extra,
            )
        except lifecycle.IllegalTransition as refused:
            return error(f"{refused}. The card shows the incident's state.")
        self.room.refresh_card(changed.view)
        text = message.replace("{who}", mrkdwn.user(who.user))  # not format(): user text has braces
        self.room.say(changed.view, blocks.notice(text, ""), text)
        return None

    def propose_severity(self, command: Command, view: IncidentView) -> Reply:
        assert command.severity is not None
        current = view.severity
        if command.severity is current:
            return notice(f"The incident is already {current.label}.")
        return Reply(
            blocks.severity_confirmation(view, command.severity),
            f"Change to {command.severity.label}?",
        )

    def change_severity(
        self, who: Invocation, incident_id: int, severity: Severity
    ) -> Reply | None:
        view = self.service.get(incident_id)
        before = view.severity
        if before is severity:
            return notice(f"The incident is already {severity.label}.")
        message = self.templates.render(
            "severity_change.md.j2", who=who.user, before=before, after=severity
        )
        return self.act(who, incident_id, EventKind.SEVERITY_CHANGED, message, severity=severity)

    def assign_commander(
        self, who: Invocation, command: Command, view: IncidentView
    ) -> Reply | None:
        assert command.user is not None
        message = f":crown: {{who}} made {mrkdwn.user(command.user)} the incident commander."
        return self.act(who, view.id, EventKind.COMMANDER_ASSIGNED, message, subject=command.user)

    def assign_role(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        assert command.user is not None
        message = (
            f":label: {{who}} gave {mrkdwn.user(command.user)} the role "
            f"*{mrkdwn.escape(command.text)}*."
        )
        return self.act(
            who, view.id, EventKind.ROLE_ASSIGNED, message, subject=command.user, text=command.text
        )

    def set_services(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        known = {s.name for s in self.playbooks.catalog.services}
        unknown = [name for name in command.words if name not in known]
        if unknown:
            return error(
                f"Not in the service catalog: {mrkdwn.escape(', '.join(unknown))}. "
                f"Known services: {', '.join(sorted(known)) or 'none'}."
            )
        names = ", ".join(command.words)
        refused = self.act(
            who,
            view.id,
            EventKind.SERVICES_CHANGED,
            f":gear: {{who}} set the affected services: {names}.",
            extra={"services": ",".join(command.words)},
        )
        if refused is None:
            self._advise(self.service.get(view.id))
        return refused

    def _first_actions(self, view: IncidentView) -> None:
        try:
            self.signals.first_actions(view)
        except SlackFailure:
            log.exception("could not post the first actions", extra={"incident_id": view.id})

    def declare_from_alert(self, who: Invocation, fingerprint: str) -> Reply:
        alert = self.signals.alert(fingerprint)
        if alert is None:
            return error("I no longer know that alert; declare with `/incident sev1 <title>`.")
        title = f"{alert.name}: {alert.summary}" if alert.summary != alert.name else alert.name
        return self.declare(
            who,
            severity_for(alert),
            title[:200],
            services=(alert.service,) if alert.service else (),
            started_at=min(alert.starts_at, self.service.clock()),
            request_key=f"alert:{fingerprint}:{alert.starts_at.isoformat()}",
        )

    def dependencies(self, view: IncidentView) -> Reply:
        health = self.signals.dependencies(view)
        if view.channel_id:
            self.room.gateway.post(view.channel_id, health.content, health.text)
            return notice("Posted the dependency checks in the channel.", ":link:")
        return Reply(health.content, health.text)

    def postmortem(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        if command.text:
            reply = self.postmortems.published(who, view, command.text)
            self.room.refresh_card(self.service.get(view.id))
            return reply
        return self.postmortems.write(who, view)

    def decide(self, who: Invocation, action_id: str, value: str) -> Reply | None:
        """A rollback decision button: record and carry it out, or say why not."""
        decision = rollback.DECISIONS[action_id]
        refused = self.advisor.decide(who.user, decision, rollback.decode(value))
        return error(rollback.refusal(refused)) if refused is not None else None

    def _advise(self, view: IncidentView) -> None:
        try:
            self.advisor.advise(view)
        except ChatFailure:
            log.exception("could not post the rollback advice", extra={"incident_id": view.id})

    # --- deploys ---------------------------------------------------------------------------------

    def record_deploy(self, who: Invocation, command: Command) -> Reply | None:
        service, version = command.words
        if self.playbooks.catalog.service(service) is None:
            known = ", ".join(s.name for s in self.playbooks.catalog.services)
            return error(
                f"`{mrkdwn.escape(service)}` is not in the service catalog. "
                f"Known services: {known}."
            )
        deploy = Deploy(
            service=service,
            version=version,
            finished_at=self.service.clock(),
            deployer=who.user,
            environment="production",
        )
        self.deploys.record(deploy, source="slack")
        advised = self.advisor.deploy_reported(deploy)
        also = f" {advised} open incident(s) got fresh rollback advice." if advised else ""
        return notice(
            f"Recorded the deploy of `{mrkdwn.escape(service)}` "
            f"{mrkdwn.escape(version)}, finished now.{also}",
            ":package:",
        )

    def list_deploys(self, command: Command) -> Reply:
        service = command.words[0] if command.words else None
        found = self.deploys.recent(service)
        return Reply(
            blocks.deploy_list(found, self.service.clock(), service),
            f"{len(found)} recent deploy(s)",
        )

    def note(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        return self.act(
            who,
            view.id,
            EventKind.NOTE_ADDED,
            f":memo: {{who}} noted: {mrkdwn.escape(command.text)}",
            text=command.text,
        )

    # --- status updates -----------------------------------------------------------------------

    def update_modal(self, incident_id: int) -> dict[str, Any]:
        view = self.service.get(incident_id)
        status_updates = self.playbooks[view.severity].status_updates
        choices = status_updates.next_update_choices if status_updates else []
        return updates.modal(incident_id, choices or [durations.parse("30m")])

    def open_update_form(self, who: Invocation, incident_id: int) -> None:
        self.room.gateway.open_view(who.trigger_id, self.update_modal(incident_id))

    def update(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        """``/incident update`` alone opens the form; with fields, posts the update at once."""
        if not command.text:
            self.open_update_form(who, view.id)
            return None
        form = updates.parse_line(command.text)
        if form.errors:
            problems = "; ".join(f"{name}: {text}" for name, text in form.errors.items())
            return error(
                f"{mrkdwn.escape(problems)}. Type it like `{updates.USAGE}`, or "
                "`/incident update` alone for the form."
            )
        return self.post_update(who, view.id, form)

    def post_update(
        self, who: Invocation, incident_id: int, form: updates.UpdateForm
    ) -> Reply | None:
        """The protocol's sentence, in the channel and to stakeholders; meets the deadline."""
        assert form.next_update is not None
        view = self.service.get(incident_id)
        if not view.is_open:
            return error(
                "The incident is no longer open, so no status update is due. "
                "Reopen it first with `/incident reopen` if it is back."
            )
        sentence = self.templates.render(
            "status_update.md.j2",
            impact=form.impact,
            affected=form.affected,
            action=form.action,
            next_update=form.next_update,
        )
        update = StatusUpdate(
            view.now, who.user, form.impact, form.affected, form.action, form.next_update, sentence
        )
        changed = self.service.post_status_update(incident_id, update)
        self.room.refresh_card(changed.view)
        self.room.publish_update(changed.view, who.user, sentence)
        return None

    def status(self, view: IncidentView) -> Reply:
        return Reply(self.room.card(view), blocks.headline(view))

    def timeline(self, view: IncidentView) -> Reply:
        return Reply(blocks.timeline(view), f"Timeline of {blocks.headline(view)}")
