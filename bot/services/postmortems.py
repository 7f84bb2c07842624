"""Post-mortems: a draft written from the record, kept with it and shared; the published one
recorded."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from bot.services.chat import Chat, ChatFailure, Message
from bot.services.incidents import Changed, IncidentService
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate

R = TypeVar("R")


class PostmortemWording(Protocol):
    """What post-mortems say (Slack: bot/adapters/slack/wording/postmortems.py)."""

    def draft(
        self, view: IncidentView, updates: Sequence[StatusUpdate], person: Callable[[str], str]
    ) -> str:
        """The draft document; ``person`` names a chat user (``@alice``) for a file's readers."""
        ...

    def published(self, by: str, url: str) -> Message:
        """The channel's news that ``by`` published the post-mortem at ``url``."""
        ...


class NotUploaded(ChatFailure):
    """The draft is kept with the incident, but ``channel`` refused it (``failure``)."""

    def __init__(self, channel: str, failure: ChatFailure) -> None:
        super().__init__(f"the draft is kept with the incident but not uploaded: {failure}")
        self.channel = channel
        self.failure = failure


def filename(incident_id: int) -> str:
    """The draft's file name, in the channel and when exported."""
    return f"incident-{incident_id}-postmortem.md"


class Postmortems:
    """Writing the draft and recording the published post-mortem, through the ports."""

    def __init__(self, incidents: IncidentService, chat: Chat, wording: PostmortemWording) -> None:
        self.incidents = incidents
        self.chat = chat
        self.wording = wording

    def write(self, view: IncidentView) -> str:
        """Draft the post-mortem from the record, keep it in the database with the incident
        (every replica sees it; `incident-bot postmortem export` writes it to files), and
        upload it to the incident's channel; returns the draft. Raises NotUploaded (kept, not
        uploaded)."""
        updates = self.incidents.status_updates(view.id)
        # Each person named in the draft is asked of the chat once.
        text = self.wording.draft(view, updates, functools.cache(self.chat.name))
        self.incidents.postmortem_drafted(view.id, text, view.now)
        if view.channel_id:
            title = f"Post-mortem draft: incident {view.id}"
            try:
                self.chat.upload(view.channel_id, text, filename(view.id), title)
            except ChatFailure as failure:
                raise NotUploaded(view.channel_id, failure) from failure
        return text

    def published(
        self, view: IncidentView, url: str, by: str, refuse: Callable[[IncidentView], R | None]
    ) -> IncidentView | R:
        """Record the published post-mortem (meeting its deadline) and tell the channel, unless
        ``refuse`` (asked of the locked incident) says why not; the incident as it is now.
        ChatFailure if the channel could not be told (it is recorded)."""
        changed = self.incidents.publish_postmortem(view.id, url, by, refuse)
        if not isinstance(changed, Changed):
            return changed
        if changed.view.channel_id:
            self.chat.post(changed.view.channel_id, self.wording.published(by, url))
        return changed.view
