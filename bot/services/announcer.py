"""What the protocol's timers say: overdue deadlines (escalated, and paged) and reminders.

``DeadlineAnnouncer`` is the ``Announcer`` the ``TimerRunner`` fires through. A firing's
message goes to the incident channel (the announcement channel before there is one), tagged so
that it can be found again; its reference is ``<channel>/<ts>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.deadlines import Deadline
from bot.playbooks.loader import Playbooks
from bot.services.chat import Chat, Message, Tag
from bot.services.pager import Page, Pager
from bot.services.read_model import IncidentView

# A firing this much after its due time says how late it is (the bot was down or overloaded);
# on time means within a poll interval or two.
LATE_NOTICE = timedelta(seconds=5)
TIMER_TAG = "incident_bot_timer"  # the event type tagging each firing's message
PAGE_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning"}
NOWHERE = "nowhere to post"


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

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        """Announce a missed deadline, escalating to the playbook's group and paging the
        services' on-call if it says so; returns ``<channel>/<ts>`` (or NOWHERE).

        Raises ChatFailure if the notice could not be posted (paging happens first).
        """
        escalation = self.playbooks[view.severity].escalation
        late = now - deadline.due_at
        notice = Overdue(
            view,
            deadline,
            late,
            self._owners(view),
            escalation.user_group,
            paged=self._page(view, deadline) if escalation.page else False,
            fired_late=late if late > self.late_notice else None,
        )
        return self._post(view, self.wording.overdue(notice), tag)

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        """Remind of a pending deadline; returns ``<channel>/<ts>`` (or NOWHERE).

        Raises ChatFailure if the reminder could not be posted.
        """
        remaining = max(deadline.due_at - now, timedelta(0))
        notice = Reminder(view, deadline, remaining, self._owners(view))
        return self._post(view, self.wording.reminder(notice), tag)

    def already_said(self, view: IncidentView, tag: str) -> str | None:
        """``<channel>/<ts>`` of the recent message tagged ``tag``, if there is one.

        Raises ChatFailure if the channel's history could not be read.
        """
        channel = self._where(view)
        if channel is None:
            return None
        found = self.chat.find_tagged(channel, Tag(TIMER_TAG, {"timer": tag}))
        return f"{channel}/{found}" if found else None

    def _where(self, view: IncidentView) -> str | None:
        return view.channel_id or self.announce_channel

    def _post(self, view: IncidentView, message: Message, tag: str) -> str:
        channel = self._where(view)
        if channel is None:
            return NOWHERE
        ts = self.chat.post(channel, message, Tag(TIMER_TAG, {"timer": tag}))
        return f"{channel}/{ts}"

    def _owners(self, view: IncidentView) -> Owners:
        group = next(
            (
                service.user_group
                for name in view.services
                if (service := self.playbooks.catalog.service(name))
            ),
            None,
        )
        escalation = self.playbooks[view.severity].escalation.user_group
        return Owners(view.commander, group or escalation)

    def _page(self, view: IncidentView, deadline: Deadline) -> bool:
        """Page every affected service with a routing key; True if any page was taken."""
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
        pages = [Page(key, f"incident-{view.id}-{deadline.key}", summary, severity) for key in keys]
        return any([self.pager.trigger(page) for page in pages])  # every page, not the first
