"""Post-mortems' words: the draft from ``postmortem.md.j2``, and the news it was published."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.adapters import postmortem
from bot.adapters.slack import blocks, mrkdwn
from bot.adapters.templates import Templates
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate


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
            view, updates, view.now, named, lambda typed: mrkdwn.plain(typed, person)
        )
        return self.templates.render("postmortem.md.j2", compact=False, **context)

    def published(self, by: str, url: str) -> Message:
        text = f":books: {mrkdwn.user(by)} published the post-mortem: {mrkdwn.escape(url)}"
        return Message(blocks.notice(text, ""), text)
