"""Incident channel names: ``inc-<yyyymmdd>-<number>-<slug>``, within Slack's naming rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

NAME_LIMIT = 80
# markup, and the addresses a title's links read as in words ("label (https://…)")
_MARKUP = re.compile(r"<[^>]*>|\(?\b(?:https?|mailto):[^\s)]*\)?")


def slug(title: str) -> str:
    """Lowercase ASCII words joined by hyphens; mentions and links (a link's address, its
    label kept) are dropped."""
    text = unicodedata.normalize("NFKD", _MARKUP.sub(" ", title))
    text = text.encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", text))


def name(declared_at: datetime, number: int, title: str, attempt: int = 1) -> str:
    """The channel name; ``attempt`` > 1 adds a suffix for a name that was taken."""
    stem = f"inc-{declared_at:%Y%m%d}-{number}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = NAME_LIMIT - len(stem) - len(suffix) - 1
    words = slug(title)[:room].rstrip("-")
    return f"{stem}-{words}{suffix}" if words else f"{stem}{suffix}"
