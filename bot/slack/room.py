"""An incident's presence in Slack: its channel, people, pinned card and announcements."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from bot.playbooks.loader import Playbooks
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.slack import blocks, channels, mrkdwn
from bot.slack.gateway import SlackFailure, SlackGateway
from bot.templates import Templates
from bot.tickets import TicketSink

log = logging.getLogger(__name__)


@dataclass
class Opening:
    """What opening an incident did in Slack, and what failed (to tell the declarer)."""

    channel_id: str | None = None
    ticket: str | None = None
    problems: list[str] = field(default_factory=list)


class IncidentRoom:
    def __init__(
        self,
        gateway: SlackGateway,
        service: IncidentService,
        playbooks: Playbooks,
        tickets: TicketSink,
        announce_channel: str | None,
        templates: Templates,
    ) -> None:
        self.gateway = gateway
        self.service = service
        self.playbooks = playbooks
        self.tickets = tickets
        self.announce_channel = announce_channel
        self.templates = templates

    def open(self, view: IncidentView) -> Opening:
        """Channel, people and card for a new incident; a ticket and announcement if no channel.

        A channel's topic, pin and announcement are left to ``furnish``: the declarer is told
        the channel exists first (under a burst of declarations, those calls would delay it).
        """
        opening = Opening()
        if self.playbooks[view.severity].channel:
            self._open_channel(view, opening)
        else:
            self._file_ticket(view, opening)
        if opening.channel_id is None:
            self._announce(view, opening)
        return opening

    def furnish(self, view: IncidentView) -> list[str]:
        """A new channel's topic and pinned card, and the announcement; what failed, if any."""
        channel, incident = view.channel_id, view
        opening = Opening(channel_id=channel)
        if channel is None:
            return []
        topic = f"{incident.severity.label} · {incident.title} · /incident help"
        self._try(opening, self.gateway.set_topic, channel, mrkdwn.escape(topic))
        if view.card_ts is not None:
            self._try(opening, self.gateway.pin, channel, view.card_ts)
        self._announce(view, opening)
        return opening.problems

    def _open_channel(self, view: IncidentView, opening: Opening) -> None:
        try:
            channel, name = self.gateway.create_channel(self._names(view))
        except SlackFailure as failure:
            opening.problems.append(f"I could not create the incident channel: {failure}")
            return
        opening.channel_id = channel
        self.service.attach_channel(view.id, channel, name)
        view = replace(view, channel_id=channel, channel_name=name)
        self._try(opening, self.gateway.invite, channel, self._people(view, opening))
        self._post_card(view, opening)

    def _names(self, view: IncidentView) -> Iterator[str]:
        incident = view
        for attempt in range(1, 20):
            yield channels.name(incident.declared_at, view.id, incident.title, attempt)

    def _people(self, view: IncidentView, opening: Opening) -> set[str]:
        people = {view.declared_by}
        for name in view.services:
            service = self.playbooks.catalog.service(name)
            if service is None:
                continue
            try:
                people.update(self.gateway.group_members(service.user_group))
            except SlackFailure as failure:
                opening.problems.append(f"I could not find who is in {service.team}: {failure}")
        return people

    def _post_card(self, view: IncidentView, opening: Opening) -> None:
        channel = view.channel_id
        assert channel is not None
        content = self.card(view)
        try:
            ts = self.gateway.post(channel, content, blocks.headline(view))
        except SlackFailure as failure:
            opening.problems.append(f"I could not post the incident card: {failure}")
            return
        self.service.attach_card(view.id, ts)

    def card(self, view: IncidentView) -> blocks.Blocks:
        return blocks.card(view, self.playbooks[view.severity])

    def refresh_card(self, view: IncidentView) -> None:
        """Make the pinned card say what the incident is now."""
        channel, ts = view.channel_id, view.card_ts
        if channel is None or ts is None:
            return
        try:
            self.gateway.update(channel, ts, self.card(view), blocks.headline(view))
        except SlackFailure:
            log.exception("could not update the card of incident %s", view.id)

    def say(self, view: IncidentView, content: blocks.Blocks, text: str) -> None:
        """Post in the incident's channel, if it has one."""
        if view.channel_id is not None:
            self.gateway.post(view.channel_id, content, text)

    def publish_update(self, view: IncidentView, author: str, sentence: str) -> None:
        """A status update, in the incident's channel and to stakeholders."""
        text = f":loudspeaker: *Status update* from {mrkdwn.user(author)}\n{sentence}"
        self.say(view, blocks.notice(text, ""), sentence)
        if self.announce_channel:
            stakeholders = f":loudspeaker: *{blocks.headline(view)}*\n{sentence}"
            self.gateway.post(self.announce_channel, blocks.notice(stakeholders, ""), sentence)

    def _file_ticket(self, view: IncidentView, opening: Opening) -> None:
        try:
            ticket = self.tickets.file(view)
        except SlackFailure as failure:
            opening.problems.append(f"I could not file the ticket: {failure}")
            return
        self.service.ticket_filed(view.id, ticket)
        opening.ticket = ticket.reference

    def _announce(self, view: IncidentView, opening: Opening) -> None:
        if not self.announce_channel:
            return
        text = self.templates.render(
            "announcement.md.j2",
            incident=view,
            incident_id=view.id,
            channel_id=opening.channel_id,
        )
        try:
            self.gateway.post(self.announce_channel, blocks.notice(text, ""), blocks.headline(view))
        except SlackFailure as failure:
            opening.problems.append(
                f"I could not announce it in {mrkdwn.channel(self.announce_channel)}: {failure}"
            )

    @staticmethod
    def _try(opening: Opening, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except SlackFailure as failure:
            opening.problems.append(str(failure))
