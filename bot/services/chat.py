"""The chat port: where incidents are worked on and told about (Slack in production).

Use cases say *what* to post through a ``Message`` a wording adapter rendered; they never see its
format. Channel and user ids, and message timestamps (``ts``), are the chat's own strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class ChatFailure(Exception):
    """A chat call that failed; ``str()`` says what a person can do about it."""

    @property
    def permanent(self) -> bool:
        """Asking again will not help (the channel is archived or gone, the bot is not in it,
        the person's account is deactivated): what was meant for it must go elsewhere."""
        return False

    @property
    def code(self) -> str:
        """The chat's short word for the refusal (Slack's error code), for the record."""
        return str(self)


@dataclass(frozen=True)
class Message:
    """A rendered message: ``content`` in the chat's format (Block Kit blocks for Slack), and
    ``text``, the plain line notifications and screen readers show."""

    content: list[dict[str, Any]]
    text: str


@dataclass(frozen=True)
class Tag:
    """A label a message is posted with so it can be found again: of ``kind``, saying
    ``fields`` (a firing's timer, say)."""

    kind: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class SharedFile:
    """A file shared in the chat: its name, the title people gave it, and a link to it."""

    name: str
    title: str = ""
    permalink: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """A message people posted: its text (as typed, in the chat's markup), who wrote it, and a
    link to it when the chat gave one; the files it shares and its attachments' text (an
    alert's content, say), each as the chat gave them."""

    text: str
    author: str
    permalink: str | None = None
    files: tuple[SharedFile, ...] = ()
    attachments: tuple[str, ...] = ()

    def everything(self) -> str:
        """Its text, its attachments' text and its files (in the chat's markup), one a line."""
        files = [f":paperclip: {f.title or f.name} ({f.name}) {f.permalink}" for f in self.files]
        return "\n".join(part for part in [self.text, *self.attachments, *files] if part)


class Chat(Protocol):
    """Every call raises ChatFailure when the chat refuses it or cannot be reached."""

    def create_channel(self, names: Iterable[str]) -> tuple[str, str]:
        """Create the first free name of ``names``; returns (channel id, name)."""
        ...

    def find_channel(self, name: str) -> str | None:
        """The id of the channel named ``name``, if it exists."""
        ...

    def invite(self, channel: str, users: Iterable[str]) -> None:
        """Invite ``users``; those already in the channel are no failure."""
        ...

    def group_members(self, group: str) -> list[str]: ...

    def display_name(self, user_id: str) -> str:
        """How people know ``user_id`` (``@alice``); the id itself if the chat can't say."""
        ...

    def name(self, chat_id: str) -> str:
        """How people know a person, a channel or a user group by its id (``@alice``,
        ``#general``, ``@payments``); its id with that sign if the chat can't say."""
        ...

    def set_topic(self, channel: str, topic: str) -> None: ...

    def post(
        self,
        channel: str,
        message: Message,
        tag: Tag | None = None,
        thread: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """Post; returns the message's ts. ``tag`` lets ``find_tagged`` find it again;
        ``thread``: in the thread of that message, also shown in the channel if
        ``broadcast``.

        Within a timer's firing it posts only while the firing holds its timer: it asks
        ``leases.before_send()`` right before sending (again after any wait, which it asks
        ``leases.before_wait`` about first), and raises ChatFailure, sending nothing, if not.
        """
        ...

    def update(self, channel: str, ts: str, message: Message) -> None: ...

    def pin(self, channel: str, ts: str) -> None:
        """Pin the message; one already pinned is no failure."""
        ...

    def ephemeral(self, channel: str, user: str, message: Message) -> None:
        """A message only ``user`` sees, in ``channel``."""
        ...

    def upload(self, channel: str, content: str | bytes, filename: str, title: str) -> None:
        """A file in the channel: text (a draft) or bytes (an image)."""
        ...

    def find_tagged(self, channel: str, tag: Tag) -> str | None:
        """The ts of a recent message posted with ``tag``, if there is one."""
        ...

    def message(self, channel: str, ts: str) -> ChatMessage | None: ...

    def permalink(self, channel: str, ts: str) -> str | None: ...

    def open_form(self, trigger_id: str, form: Mapping[str, Any]) -> None:
        """Open a form (a Slack modal view) for whoever's action gave ``trigger_id``."""
        ...


def tell_each(*tellings: Callable[[], object]) -> None:
    """Do every one of ``tellings`` whatever the chat answered the others (one refusal must
    not keep the rest from being told); then raise the first ChatFailure, if any."""
    refused: list[ChatFailure] = []
    for telling in tellings:
        try:
            telling()
        except ChatFailure as failure:
            refused.append(failure)
    if refused:
        raise refused[0]
