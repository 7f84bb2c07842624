"""What a listener answers: who asked, and a reply only they see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.adapters.slack import blocks
from bot.adapters.slack.blocks import Blocks


@dataclass(frozen=True)
class Invocation:
    """Who typed or clicked what, where."""

    user: str
    channel: str
    team: str = ""
    trigger_id: str = ""


@dataclass(frozen=True)
class Reply:
    """An answer only the person who asked sees."""

    blocks: blocks.Blocks
    text: str
    then: Callable[[], object] | None = field(default=None, compare=False)
    """Work that may wait until the person has their answer (posted to the channel)."""
    spent: Blocks | None = None
    """For a button: the pressed buttons are used up, and these blocks take their place in
    the message that showed them, for everyone who sees it."""


def error(text: str) -> Reply:
    return Reply(blocks.error(text), text)


def notice(text: str, emoji: str = ":information_source:") -> Reply:
    return Reply(blocks.notice(text, emoji), text)


def closed(said: str, closing: str, emoji: str) -> Reply:
    """``said`` (mrkdwn, free text in it) and ``closing`` on a line after it, always shown
    whole: past the notice's sections ``said`` is shortened ("…"), never ``closing``."""
    content = blocks.fitted_notice(
        {"said": said},
        lambda shown: f"{emoji} {shown['said']}\n{closing}",
        "the whole text is kept in the incident's record.",
    )
    return Reply(content, f"{said}\n{closing}")


def spent(line: str) -> Reply:
    """A button that did its work: nothing more to tell its presser than what everyone sees,
    ``line`` (mrkdwn) in place of the buttons."""
    return Reply([], "", spent=blocks.context(line))
