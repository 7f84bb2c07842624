"""Slack mrkdwn: escaping what people typed, and the tokens Slack renders for each reader."""

from __future__ import annotations

import re
from datetime import datetime

FALLBACK_LIMIT = 4000  # a message's plain text, for notifications: Slack's advice (40k at most)
_FORMAT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_USER_ID = re.compile(r"[UWB][A-Z0-9]{2,}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")


def escape(text: str) -> str:
    """Make user-typed text inert: no ``<!channel>``, ``<@U…>`` or links can be injected."""
    return text.translate(_FORMAT_ESCAPES)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback(text: str) -> str:
    """A message's ``text`` (what notifications show), within ``FALLBACK_LIMIT``."""
    return truncate(text, FALLBACK_LIMIT)


def pieces(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, each ending at a line break or else
    a space, never inside a ``<…>`` token (a mention, a link, a date); a word longer than
    ``limit`` is cut. Joined with line breaks, the pieces read as the text."""
    found: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _break_before(rest, limit)
        found.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*found, rest] if rest or not found else found


def _break_before(text: str, limit: int) -> int:
    """Where to end a piece of ``text`` at most ``limit`` long."""
    best = {"\n": 0, " ": 0}
    inside = False
    for at, char in enumerate(text[: limit + 1]):
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif char in best and not inside and at > 0:
            best[char] = at
    return best["\n"] or best[" "] or limit


def _token(kind: str, identifier: str, pattern: re.Pattern[str]) -> str:
    # Ids come from Slack or the catalog; anything else is shown as text, never as markup.
    return kind.format(identifier) if pattern.fullmatch(identifier) else escape(identifier)


def is_user_id(text: str) -> bool:
    return _USER_ID.fullmatch(text) is not None


def user(user_id: str) -> str:
    return _token("<@{}>", user_id, _USER_ID)


def user_group(group_id: str) -> str:
    return _token("<!subteam^{}>", group_id, _GROUP_ID)


def channel(channel_id: str) -> str:
    return _token("<#{}>", channel_id, _CHANNEL_ID)


def date(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own timezone; the fallback text is UTC."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"
