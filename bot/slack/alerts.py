"""What the protocol's timers say in Slack: overdue deadlines (with escalation) and reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock

from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import Deadline
from bot.paging import Page, PagerDuty
from bot.playbooks.loader import Playbooks
from bot.services.read_model import IncidentView
from bot.slack import blocks, verbs
from bot.slack.gateway import SlackGateway
from bot.templates import Templates

# A firing this much after its due time says how late it is (the bot was down or overloaded);
# on time means within a poll interval or two.
LATE_NOTICE = timedelta(seconds=5)
METADATA_TYPE = "incident_bot_timer"  # tags each firing's message so it can be found again
PAGE_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning"}


class Alerts:
    def __init__(
        self,
        gateway: SlackGateway,
        templates: Templates,
        playbooks: Playbooks,
        pager: PagerDuty,
        announce_channel: str | None,
    ) -> None:
        self.gateway = gateway
        self.templates = templates
        self.playbooks = playbooks
        self.pager = pager
        self.announce_channel = announce_channel

    def _owners(self, view: IncidentView) -> dict[str, Any]:
        incident = view
        group = next(
            (
                service.user_group
                for name in incident.services
                if (service := self.playbooks.catalog.service(name))
            ),
            None,
        )
        escalation = self.playbooks[incident.severity].escalation.user_group
        return {"owner": incident.commander, "owner_group": group or escalation}

    def _where(self, view: IncidentView) -> str | None:
        return view.channel_id or self.announce_channel

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        """Announce a missed deadline, escalate, page; returns a reference to the message."""
        incident = view
        playbook = self.playbooks[incident.severity]
        late = now - deadline.due_at
        paged = self._page(view, deadline) if playbook.escalation.page else False
        text = self.templates.render(
            "deadline_overdue.md.j2",
            incident=incident,
            incident_id=view.id,
            deadline=deadline,
            late=late,
            escalate_to=playbook.escalation.user_group,
            paged=paged,
            fired_late=late if late > LATE_NOTICE else None,
            **self._owners(view),
        )
        return self._post(view, deadline, text, tag)

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        text = self.templates.render(
            "deadline_reminder.md.j2",
            incident=view,
            deadline=deadline,
            remaining=max(deadline.due_at - now, timedelta(0)),
            **self._owners(view),
        )
        return self._post(view, deadline, text, tag)

    def already_said(self, view: IncidentView, tag: str) -> str | None:
        channel = self._where(view)
        if channel is None:
            return None
        found = self.gateway.find_by_metadata(channel, METADATA_TYPE, {"timer": tag})
        return f"{channel}/{found}" if found else None

    def _post(self, view: IncidentView, deadline: Deadline, text: str, tag: str) -> str:
        channel = self._where(view)
        if channel is None:
            return "nowhere to post"
        content: list[dict[str, Any]] = blocks.notice(text, "")
        if deadline.kind is DeadlineKind.STATUS_UPDATE:
            content.append(
                ActionsBlock(elements=[verbs.POST_UPDATE.element(str(view.id))]).to_dict()
            )
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"timer": tag}}
        return f"{channel}/{self.gateway.post(channel, content, text, metadata=metadata)}"

    def _page(self, view: IncidentView, deadline: Deadline) -> bool:
        incident = view
        keys = [
            service.pagerduty_routing_key
            for name in incident.services
            if (service := self.playbooks.catalog.service(name)) and service.pagerduty_routing_key
        ]
        summary = (
            f"{incident.severity.label} incident {view.id} ({incident.title}): "
            f"{deadline.kind.description} overdue"
        )
        return any(
            [
                self.pager.trigger(
                    Page(
                        key,
                        f"incident-{view.id}-{deadline.key}",
                        summary,
                        PAGE_SEVERITY[str(incident.severity)],
                    )
                )
                for key in keys
            ]
        )
