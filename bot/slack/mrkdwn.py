"""Slack mrkdwn: escaping what people typed, and the tokens Slack renders for each reader."""

from __future__ import annotations

from datetime import datetime

_FORMAT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Make user-typed text inert: no ``<!channel>``, ``<@U…>`` or links can be injected."""
    return text.translate(_FORMAT_ESCAPES)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user(user_id: str) -> str:
    return f"<@{user_id}>"


def user_group(group_id: str) -> str:
    return f"<!subteam^{group_id}>"


def channel(channel_id: str) -> str:
    return f"<#{channel_id}>"


def date(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own timezone; the fallback text is UTC."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"
