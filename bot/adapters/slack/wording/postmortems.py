"""Post-mortems' words: the draft from ``postmortem.md.j2``, and the news it was published."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.adapters import postmortem
from bot.adapters.slack import blocks, mrkdwn
from bot.adapters.slack import updates as updates_
from bot.adapters.templates import Templates
from bot.core.model import Event, EventKind
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate

PARTS = ("impact", "affected", "action")  # a status update's typed parts, in its event


class SlackPostmortemWording:
    """PostmortemWording for Slack: the draft names people, since a file shows no mentions."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def draft(
        self, view: IncidentView, updates: Sequence[StatusUpdate], person: Callable[[str], str]
    ) -> str:
        # Only Slack user ids are asked about; any other actor is named as it is.
        def named(who: str) -> str:
            return person(who) if mrkdwn.is_user_id(who) else who

        context = postmortem.context(
            self._whole(view),
            [replace(u, text=self._said(u)) for u in updates],
            view.now,
            named,
            lambda typed: mrkdwn.plain(typed, person),
        )
        return self.templates.render("postmortem.md.j2", compact=False, **context)

    def _said(self, update: StatusUpdate) -> str:
        """An update's sentence with its free text whole (a message may show it shortened)."""
        parts = (update.impact, update.affected, update.action)
        return updates_.said_as(self.templates, *parts, update.next_update)

    def _whole(self, view: IncidentView) -> IncidentView:
        """``view`` with each status update's timeline entry holding its whole sentence."""

        def whole(event: Event) -> Event:
            if event.kind is not EventKind.STATUS_UPDATE_POSTED or event.next_update is None:
                return event
            impact, affected, action = (event.extra.get(k, "") for k in PARTS)
            said = updates_.said_as(self.templates, impact, affected, action, event.next_update)
            return replace(event, text=said)

        return replace(view, events=tuple(whole(e) for e in view.events))

    def published(self, by: str, url: str) -> Message:
        text = f":books: {mrkdwn.user(by)} published the post-mortem: {mrkdwn.escape(url)}"
        return Message(blocks.notice(text, ""), text)
