"""Timeline entries from the channel: a pinned message, or one given :pushpin:, is noted;
unpinning (or removing the reaction) withdraws it with a new entry: the timeline never shrinks."""

from __future__ import annotations

import logging
from typing import Any

from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.slack.gateway import SlackFailure, SlackGateway

log = logging.getLogger(__name__)
PUSHPIN = "pushpin"
TEXT_LIMIT = 3000


class ChannelNotes:
    def __init__(self, service: IncidentService, gateway: SlackGateway) -> None:
        self.service = service
        self.gateway = gateway

    def pinned(self, event: dict[str, Any]) -> None:
        """pin_added, or reaction_added with :pushpin:."""
        where = self._where(event)
        if where is None:
            return
        view, channel, ts = where
        if ts in _noted(view):
            return  # pinned and given the reaction, or a repeat: one entry
        message = dict(event.get("item", {}).get("message") or {}) or self._fetch(channel, ts)
        if not message:
            return
        permalink = str(message.get("permalink") or self._permalink(channel, ts) or "")
        self.service.record(
            view.id,
            EventKind.NOTE_ADDED,
            str(event.get("user") or "unknown"),
            text=str(message.get("text") or "")[:TEXT_LIMIT],
            extra={
                "message_ts": ts,
                "author": str(message.get("user") or ""),
                "permalink": permalink,
                "source": str(event.get("type")),
            },
        )

    def unpinned(self, event: dict[str, Any]) -> None:
        """pin_removed, or reaction_removed with :pushpin:."""
        where = self._where(event)
        if where is None:
            return
        view, _, ts = where
        if ts in _noted(view):
            self.service.record(
                view.id,
                EventKind.NOTE_WITHDRAWN,
                str(event.get("user") or "unknown"),
                text="unpinned",
                extra={"message_ts": ts},
            )

    def _where(self, event: dict[str, Any]) -> tuple[IncidentView, str, str] | None:
        if event.get("type", "").startswith("reaction") and event.get("reaction") != PUSHPIN:
            return None
        item = event.get("item") or {}
        channel = str(event.get("channel_id") or item.get("channel") or "")
        ts = str(item.get("ts") or (item.get("message") or {}).get("ts") or "")
        if not channel or not ts or item.get("type", "message") != "message":
            return None
        view = self.service.in_channel(channel)
        return (view, channel, ts) if view is not None else None

    def _fetch(self, channel: str, ts: str) -> dict[str, Any]:
        try:
            return self.gateway.message(channel, ts) or {}
        except SlackFailure:
            log.exception("could not read the pinned message", extra={"channel": channel})
            return {}

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self.gateway.permalink(channel, ts)
        except SlackFailure:
            return None


def _noted(view: IncidentView) -> set[str]:
    """Message ts currently noted from the channel (added and not withdrawn since)."""
    active: set[str] = set()
    for event in view.events:
        ts = event.extra.get("message_ts")
        if ts and event.kind is EventKind.NOTE_ADDED:
            active.add(ts)
        elif ts and event.kind is EventKind.NOTE_WITHDRAWN:
            active.discard(ts)
    return active
