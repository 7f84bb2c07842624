"""The rooms service as handlers call it: Block Kit in and out, and the gateway beside it."""

from __future__ import annotations

from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.rooms import Rooms
from bot.slack import blocks
from bot.slack.gateway import SlackGateway


class IncidentRoom:
    """``open``, ``furnish``, ``refresh_card`` and ``publish_update`` are the service's own;
    ``say`` and ``card`` speak blocks. ``gateway`` is for the handlers' other Slack calls."""

    def __init__(self, rooms: Rooms, gateway: SlackGateway) -> None:
        self.rooms = rooms
        self.gateway = gateway
        self.open = rooms.open
        self.furnish = rooms.furnish
        self.refresh_card = rooms.refresh_card
        self.publish_update = rooms.publish_update

    def say(self, view: IncidentView, content: blocks.Blocks, text: str) -> None:
        """Post in the incident's channel, if it has one; raises SlackFailure."""
        self.rooms.say(view, Message(content, text))

    def card(self, view: IncidentView) -> blocks.Blocks:
        return self.rooms.card(view).content
