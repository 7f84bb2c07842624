"""Slack's pin and reaction events, parsed into the PinChange the channel-notes use case takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.adapters.slack.gateway import chat_message, shared_file
from bot.services.channel_notes import PinChange
from bot.services.chat import ChatMessage

PUSHPIN = "pushpin"


def pin_change(event: Mapping[str, Any]) -> PinChange | None:
    """The change a pin_added/pin_removed or reaction_added/reaction_removed event reports:
    a message, or a file pinned by itself (keyed by its id); None for a reaction other than
    :pushpin:, or for anything else."""
    kind = str(event.get("type") or "")
    if kind.startswith("reaction") and event.get("reaction") != PUSHPIN:
        return None
    item = event.get("item") or {}
    channel = str(event.get("channel_id") or item.get("channel") or "")
    user = str(event.get("user") or "unknown")
    if item.get("type") == "file" and item.get("file"):  # a file pinned by itself
        file = item["file"]
        shared = ChatMessage("", str(file.get("user") or ""), None, (shared_file(file),))
        key = str(file.get("id") or file.get("permalink") or "")
        found = channel and key
        return PinChange(channel, key, user, shared, str(event.get("type"))) if found else None
    attached = item.get("message") or {}
    ts = str(item.get("ts") or attached.get("ts") or "")
    if not channel or not ts or item.get("type", "message") != "message":
        return None
    message = chat_message(attached) if attached else None
    return PinChange(channel, ts, user, message, str(event.get("type")))
