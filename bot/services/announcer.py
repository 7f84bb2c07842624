"""What the protocol's timers say: overdue deadlines (escalated, and paged), their repeated
escalations, and reminders.

``DeadlineAnnouncer`` is the ``Announcer`` the ``TimerRunner`` fires through. A firing's
message goes down the fallback chain (``bot.services.delivery``: the incident channel, the
announcement channel, a direct message to the commander or the owning team), tagged so that it
can be found again; its reference is ``<channel>/<ts>``. Pages go out before any message, so
a page the playbook asks for never waits on the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core import deadlines
from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import Deadline, Escalation
from bot.core.policy import Rung
from bot.playbooks.loader import Playbooks
from bot.services.chat import Chat, ChatFailure, Message, Tag
from bot.services.delivery import Delivery, Recipients, deliver
from bot.services.pager import Page, Pager
from bot.services.read_model import IncidentView

# A firing this much after its due time says how late it is (the bot was down or overloaded);
# on time means within a poll interval or two.
LATE_NOTICE = timedelta(seconds=5)
TIMER_TAG = "incident_bot_timer"  # the event type tagging each firing's message
PAGE_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning"}


@dataclass(frozen=True)
class Owners:
    """Who a deadline's notice addresses: the commander, else the group owning the service
    (the first affected service's, else the severity's escalation group)."""

    owner: str | None
    owner_group: str | None


@dataclass(frozen=True)
class Overdue:
    """A deadline that passed unmet, ``late`` after it fell due; ``fired_late`` is set when the
    bot itself said so late (it was down or behind)."""

    view: IncidentView
    deadline: Deadline
    late: timedelta
    owners: Owners
    escalate_to: str | None
    paged: bool
    fired_late: timedelta | None
    next_escalation: Escalation | None = None
    """When and to whom it is escalated again if it stays unmet."""


@dataclass(frozen=True)
class Escalated:
    """A missed deadline still unmet, escalated again (``escalation.step`` times since the miss),
    ``late`` after it fell due; ``escalate_to`` and ``paged`` as the step's rung says."""

    view: IncidentView
    deadline: Deadline
    escalation: Escalation
    late: timedelta
    owners: Owners
    escalate_to: str | None
    paged: bool
    next_escalation: Escalation | None


@dataclass(frozen=True)
class Reminder:
    """A pending deadline due in ``remaining`` (never negative)."""

    view: IncidentView
    deadline: Deadline
    remaining: timedelta
    owners: Owners


class DeadlineWording(Protocol):
    """How the timers' notices are worded in the chat."""

    def overdue(self, notice: Overdue) -> Message: ...

    def reminder(self, notice: Reminder) -> Message: ...

    def escalation(self, notice: Escalated) -> Message: ...


class DeadlineAnnouncer:
    """Says the timers' firings in the chat (the ``TimerRunner``'s ``Announcer``)."""

    def __init__(
        self,
        chat: Chat,
        wording: DeadlineWording,
        playbooks: Playbooks,
        pager: Pager,
        announce_channel: str | None,
        late_notice: timedelta = LATE_NOTICE,
    ) -> None:
        self.late_notice = late_notice  # fired this late, a notice says how late
        self.chat = chat
        self.wording = wording
        self.playbooks = playbooks
        self.pager = pager
        self.announce_channel = announce_channel

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        """Announce a missed deadline, escalating to the playbook's group and paging the
        services' on-call if it says so; returns who it reached (``Reach.NOBODY`` when every
        target of the chain refused for good).

        A follow-up's is its owner's alone: its playbook's ``steps`` (owner, then the group)
        say whom its later escalations reach.

        Raises ChatFailure if the chat failed otherwise (paging happens first).
        """
        escalation = self.playbooks[view.severity].escalation
        late = now - deadline.due_at
        rule = self.playbooks.policies[view.severity].escalation_for(deadline.kind)
        everyone = deadline.kind is not DeadlineKind.FOLLOW_UP
        notice = Overdue(
            view,
            deadline,
            late,
            self._owners(view, deadline),
            escalation.user_group if everyone else None,
            paged=self._page(view, deadline) if escalation.page and everyone else False,
            fired_late=late if late > self.late_notice else None,
            next_escalation=deadlines.escalation_after(rule, deadline.due_at, 1, now)
            if rule
            else None,
        )
        return self._post(view, self.wording.overdue(notice), tag, deadline)

    def escalate(
        self,
        view: IncidentView,
        deadline: Deadline,
        escalation: Escalation,
        now: datetime,
        tag: str,
    ) -> Delivery:
        """Escalate a missed deadline still unmet once more, to whom ``escalation`` says (the
        owner; and the escalation group; and a page); returns who the notice reached.

        Raises ChatFailure as ``overdue`` (paging happens first).
        """
        group = self.playbooks[view.severity].escalation.user_group
        rung = escalation.rung
        rule = self.playbooks.policies[view.severity].escalation_for(deadline.kind)
        step = escalation.step + 1
        notice = Escalated(
            view,
            deadline,
            escalation,
            now - deadline.due_at,
            self._owners(view, deadline),
            escalate_to=group if rung in (Rung.GROUP, Rung.PAGE) else None,
            paged=self._page(view, deadline, escalation.step) if rung is Rung.PAGE else False,
            next_escalation=deadlines.escalation_after(rule, deadline.due_at, step, now)
            if rule
            else None,
        )
        return self._post(view, self.wording.escalation(notice), tag, deadline)

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        """Remind of a pending deadline; returns who it reached.

        Raises ChatFailure as ``overdue``.
        """
        remaining = max(deadline.due_at - now, timedelta(0))
        notice = Reminder(view, deadline, remaining, self._owners(view, deadline))
        return self._post(view, self.wording.reminder(notice), tag, deadline)

    def already_said(self, view: IncidentView, tag: str) -> str | None:
        """``<channel>/<ts>`` of the recent message tagged ``tag`` in a channel of the chain,
        if there is one (direct messages are not searched).

        Raises ChatFailure if a channel's history could not be read, unless it is gone for good.
        """
        for channel in self._recipients(view).channels():
            try:
                found = self.chat.find_tagged(channel, Tag(TIMER_TAG, {"timer": tag}))
            except ChatFailure as failure:
                if not failure.permanent:
                    raise
                continue
            if found:
                return f"{channel}/{found}"
        return None

    def _recipients(self, view: IncidentView, deadline: Deadline | None = None) -> Recipients:
        owners = self._owners(view, deadline)
        return Recipients(view.channel_id, self.announce_channel, owners.owner, owners.owner_group)

    def _post(self, view: IncidentView, message: Message, tag: str, deadline: Deadline) -> Delivery:
        to = self._recipients(view, deadline)
        return deliver(self.chat, to, message, Tag(TIMER_TAG, {"timer": tag}))

    def _owners(self, view: IncidentView, deadline: Deadline | None = None) -> Owners:
        group = next(
            (
                service.user_group
                for name in view.services
                if (service := self.playbooks.catalog.service(name))
            ),
            None,
        )
        escalation = self.playbooks[view.severity].escalation.user_group
        owner = deadline.owner if deadline is not None and deadline.owner else view.commander
        return Owners(owner, group or escalation)

    def _page(self, view: IncidentView, deadline: Deadline, step: int = 0) -> bool:
        """Page every affected service with a routing key; True if any page was taken.

        Each escalation ``step`` is a page of its own (its own dedup key), so a page already
        acknowledged and forgotten rings again."""
        keys = [
            service.pagerduty_routing_key
            for name in view.services
            if (service := self.playbooks.catalog.service(name)) and service.pagerduty_routing_key
        ]
        summary = (
            f"{view.severity.label} incident {view.id} ({view.title}): "
            f"{deadline.kind.description} overdue"
        )
        severity = PAGE_SEVERITY[str(view.severity)]
        dedup = f"incident-{view.id}-{deadline.key}" + (f"-{step}" if step else "")
        pages = [Page(key, dedup, summary, severity) for key in keys]
        return any([self.pager.trigger(page) for page in pages])  # every page, not the first
