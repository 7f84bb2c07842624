"""Slack mrkdwn: escaping what people typed, and the tokens Slack renders for each reader."""

from __future__ import annotations

import re
from datetime import datetime

_FORMAT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_USER_ID = re.compile(r"[UWB][A-Z0-9]{2,}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_URL = re.compile(r"https?://[^\s<>|]+")


def escape(text: str) -> str:
    """Make user-typed text inert: no ``<!channel>``, ``<@U…>`` or links can be injected."""
    return text.translate(_FORMAT_ESCAPES)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def link(url: str, label: str) -> str:
    """``label`` linking to ``url``; a url that is not plain http(s) is shown as text."""
    if not _URL.fullmatch(url):
        return escape(label)
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"


def date(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own timezone; the fallback text is UTC."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"


def bare_link(url: str) -> str:
    """A link showing ``url`` itself, or nothing for a value that is not a plain http(s) URL."""
    return link(url, url) if _URL.fullmatch(url) else ""
