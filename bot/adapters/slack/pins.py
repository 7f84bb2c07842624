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
    a message, or a file pinned by itself (or through one of its legacy comments), keyed by its
    id; None for a reaction other than :pushpin:, for an item without a channel (a reaction on a
    file names none), or for anything else.

    A pin's ``item.file`` is the file object; a reaction's is the file's id alone."""
    kind = str(event.get("type") or "")
    if kind.startswith("reaction") and event.get("reaction") != PUSHPIN:
        return None
    item = event.get("item") or {}
    channel = str(event.get("channel_id") or item.get("channel") or "")
    user = str(event.get("user") or "unknown")
    if item.get("type") in ("file", "file_comment"):
        file = _file(item.get("file"))
        if file is None:
            return None
        shared = ChatMessage("", str(file.get("user") or ""), None, (shared_file(file),))
        key = str(file.get("id") or file.get("permalink") or "")
        found = channel and key
        return PinChange(channel, key, user, shared, kind) if found else None
    attached = item.get("message") or {}
    ts = str(item.get("ts") or attached.get("ts") or "")
    if not channel or not ts or item.get("type", "message") != "message":
        return None
    message = chat_message(attached) if attached else None
    return PinChange(channel, ts, user, message, kind)


def _file(file: Any) -> Mapping[str, Any] | None:
    """A file as Slack names it in an item: its object, or its id alone (None: neither)."""
    if isinstance(file, Mapping):
        return file
    if isinstance(file, str) and file:
        return {"id": file}
    return None
