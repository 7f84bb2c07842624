"""Slack's pin and reaction events, parsed into the PinChange the channel-notes use case takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.adapters.slack.gateway import chat_message
from bot.services.channel_notes import PinChange

PUSHPIN = "pushpin"


def pin_change(event: Mapping[str, Any]) -> PinChange | None:
    """The change a pin_added/pin_removed or reaction_added/reaction_removed event reports;
    None for a reaction other than :pushpin:, or for anything but a message in a channel."""
    kind = str(event.get("type") or "")
    if kind.startswith("reaction") and event.get("reaction") != PUSHPIN:
        return None
    item = event.get("item") or {}
    attached = item.get("message") or {}
    channel = str(event.get("channel_id") or item.get("channel") or "")
    ts = str(item.get("ts") or attached.get("ts") or "")
    if not channel or not ts or item.get("type", "message") != "message":
        return None
    user = str(event.get("user") or "unknown")
    message = chat_message(attached) if attached else None
    return PinChange(channel, ts, user, message, str(event.get("type")))
