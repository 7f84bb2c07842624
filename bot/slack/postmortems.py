"""`/incident postmortem`: write the draft (file in the channel, copy on disk); record the
published document, which meets the post-mortem deadline."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from bot import postmortem
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.slack import blocks, mrkdwn
from bot.slack.gateway import SlackGateway
from bot.slack.replies import Invocation, Reply, notice
from bot.templates import Templates


class PostmortemDesk:
    def __init__(
        self,
        service: IncidentService,
        templates: Templates,
        gateway: SlackGateway,
        directory: Path,
    ) -> None:
        self.service = service
        self.templates = templates
        self.gateway = gateway
        self.directory = directory

    def write(self, who: Invocation, view: IncidentView) -> Reply:
        updates = self.service.status_updates(view.id)
        text = postmortem.draft(self.templates, view, updates, view.now, self._names())
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"incident-{view.id}-postmortem.md"
        path.write_text(text, encoding="utf-8")
        self.service.postmortem_drafted(view.id, str(path), view.now)
        if view.channel_id:
            self.gateway.upload(
                view.channel_id, text, path.name, f"Post-mortem draft: incident {view.id}"
            )
        return notice(
            f"The post-mortem draft is in the channel and at `{mrkdwn.escape(str(path))}`."
            " When it is published, type `/incident postmortem done <url>`.",
            ":memo:",
        )

    def _names(self) -> Callable[[str], str]:
        """A file shows no Slack mentions: the draft names people, asking Slack once each."""

        @functools.cache
        def person(user_id: str) -> str:
            return self.gateway.display_name(user_id) if mrkdwn.is_user_id(user_id) else user_id

        return person

    def published(self, who: Invocation, view: IncidentView, url: str) -> Reply | None:
        changed = self.service.publish_postmortem(view.id, url, who.user)
        if changed.view.channel_id:
            text = (
                f":books: {mrkdwn.user(who.user)} published the post-mortem: {mrkdwn.escape(url)}"
            )
            self.gateway.post(changed.view.channel_id, blocks.notice(text, ""), text)
        return None
