"""The timers' notices worded for Slack from the Jinja templates (the DeadlineWording port)."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock

from bot.adapters.slack import blocks, verbs
from bot.adapters.templates import Templates
from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import Deadline
from bot.core.follow_ups import FollowUp
from bot.services.announcer import Escalated, Overdue, Reminder
from bot.services.chat import Message
from bot.services.read_model import IncidentView


class SlackDeadlineWording:
    """DeadlineWording from ``templates``."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def overdue(self, notice: Overdue) -> Message:
        """deadline_overdue.md.j2, with the status update button for a status update."""
        text = self.templates.render(
            "deadline_overdue.md.j2",
            incident=notice.view,
            incident_id=notice.view.id,
            deadline=notice.deadline,
            follow_up=_follow_up(notice.view, notice.deadline),
            late=notice.late,
            escalate_to=notice.escalate_to,
            paged=notice.paged,
            fired_late=notice.fired_late,
            owner=notice.owners.owner,
            owner_group=notice.owners.owner_group,
            next_escalation=notice.next_escalation,
        )
        return _notice(notice.view, notice.deadline, text)

    def escalation(self, notice: Escalated) -> Message:
        """deadline_escalation.md.j2, with the status update button for a status update."""
        text = self.templates.render(
            "deadline_escalation.md.j2",
            incident=notice.view,
            incident_id=notice.view.id,
            deadline=notice.deadline,
            follow_up=_follow_up(notice.view, notice.deadline),
            escalation=notice.escalation,
            late=notice.late,
            escalate_to=notice.escalate_to,
            paged=notice.paged,
            owner=notice.owners.owner,
            owner_group=notice.owners.owner_group,
            next_escalation=notice.next_escalation,
        )
        return _notice(notice.view, notice.deadline, text)

    def reminder(self, notice: Reminder) -> Message:
        """deadline_reminder.md.j2, with the status update button for a status update."""
        text = self.templates.render(
            "deadline_reminder.md.j2",
            incident=notice.view,
            deadline=notice.deadline,
            follow_up=_follow_up(notice.view, notice.deadline),
            remaining=notice.remaining,
            owner=notice.owners.owner,
            owner_group=notice.owners.owner_group,
        )
        return _notice(notice.view, notice.deadline, text)


def _follow_up(view: IncidentView, deadline: Deadline) -> FollowUp | None:
    """The follow-up a FOLLOW_UP deadline is for."""
    if deadline.follow_up is None:
        return None
    return next((f for f in view.follow_ups if f.number == deadline.follow_up), None)


def _notice(view: IncidentView, deadline: Deadline, text: str) -> Message:
    content = blocks.notice(text, "")
    if deadline.kind is DeadlineKind.STATUS_UPDATE:
        button = verbs.POST_UPDATE.element(str(view.id))
        content.append(ActionsBlock(elements=[button]).to_dict())
    return Message(content, text)
