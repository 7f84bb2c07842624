"""What a listener answers: who asked, and a reply only they see."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack import blocks


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


def error(text: str) -> Reply:
    return Reply(blocks.error(text), text)


def notice(text: str, emoji: str = ":information_source:") -> Reply:
    return Reply(blocks.notice(text, emoji), text)
