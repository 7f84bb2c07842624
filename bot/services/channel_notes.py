"""Timeline entries from the channel: a pinned message, or one given :pushpin:, is noted;
unpinning (or removing the reaction) withdraws it with a new entry: the timeline never shrinks."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.model import EventKind
from bot.services.chat import Chat, ChatFailure, ChatMessage
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PinChange:
    """A message in ``channel`` pinned or unpinned (or given or stripped of :pushpin:) by
    ``user``. ``message`` is the message if the chat sent it along, None if it must be
    fetched; ``source`` names the chat's event."""

    channel: str
    ts: str
    user: str
    message: ChatMessage | None
    source: str


class ChannelNotes:
    """Keeps the timeline's notes in step with what is pinned in incident channels."""

    def __init__(self, service: IncidentService, chat: Chat) -> None:
        self.service = service
        self.chat = chat

    def pinned(self, change: PinChange) -> None:
        """Note the message in its incident's timeline, once however often it is pinned.

        Nothing outside an incident channel, or when the message cannot be read (logged).
        Raises StorageUnavailable if the store cannot be reached.
        """
        view = self.service.in_channel(change.channel)
        if view is None:
            return
        with self.service.units() as uow:
            uow.note_marks.mark(change.channel, change.ts, _marker(change))
            uow.commit()
        if change.ts in _noted(view):
            return  # pinned and given the reaction, or a repeat: one entry
        message = change.message or self._fetch(change.channel, change.ts)
        if message is None:
            return
        permalink = message.permalink or self._permalink(change.channel, change.ts)
        note = self.service.event(
            EventKind.NOTE_ADDED,
            change.user,
            text=message.everything(),  # whole: shown shortened where it must be
            extra={
                "message_ts": change.ts,
                "author": message.author,
                "permalink": str(permalink or ""),
                "source": change.source,
            },
        )
        # A pin and a :pushpin: on one message can arrive together: one note, held by the
        # database (one entry per message and withdrawal count), the other refused.
        self.service.record_unless(
            view.id,
            note,
            lambda now: change.ts in _noted(now) or None,
            once=lambda now: f"note:{now.id}:{change.ts}:{_withdrawals(now, change.ts)}",
        )

    def unpinned(self, change: PinChange) -> None:
        """Withdraw the message's note once nothing keeps it noted any more (no pin, no one's
        :pushpin:); nothing if it is not noted."""
        view = self.service.in_channel(change.channel)
        if view is None or change.ts not in _noted(view):
            return
        with self.service.units() as uow:
            left = uow.note_marks.unmark(change.channel, change.ts, _marker(change))
            uow.commit()
        if left:
            return  # still pinned, or someone else's :pushpin: is still on it
        withdrawal = self.service.event(
            EventKind.NOTE_WITHDRAWN, change.user, text="unpinned", extra={"message_ts": change.ts}
        )
        # Unpinning and removing the reaction together: one withdrawal.
        self.service.record_unless(
            view.id,
            withdrawal,
            lambda now: change.ts not in _noted(now) or None,
            once=lambda now: f"unnote:{now.id}:{change.ts}:{_withdrawals(now, change.ts)}",
        )

    def _fetch(self, channel: str, ts: str) -> ChatMessage | None:
        try:
            return self.chat.message(channel, ts)
        except ChatFailure:
            log.exception("could not read the pinned message", extra={"channel": channel})
            return None

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self.chat.permalink(channel, ts)
        except ChatFailure:
            return None


def _marker(change: PinChange) -> str:
    """The mark a change adds or removes: the message's pin, or one person's :pushpin:."""
    return "pin" if change.source.startswith("pin") else f"pushpin:{change.user}"


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


def _withdrawals(view: IncidentView, ts: str) -> int:
    """How often the note of message ``ts`` was withdrawn: each new note of it is a new one."""
    return sum(
        1
        for event in view.events
        if event.kind is EventKind.NOTE_WITHDRAWN and event.extra.get("message_ts") == ts
    )
