"""The title (or summary) the bot gave an issue, recorded in the issue itself, in the same
request that writes it: so an update whose answer was lost, or one made while the follow-up
changed again, still tells the bot's title from one the team typed. A title is recorded as a
short digest (no text to escape): ``<!-- incident-bot title 3f2a… -->`` in a GitHub body, the
label ``incident-bot-title-3f2a…`` on a Jira issue."""

from __future__ import annotations

import hashlib
import re

_RECORD = re.compile(r"<!-- incident-bot title ([0-9a-f]{16}) -->")
LABEL_PREFIX = "incident-bot-title-"


def digest(title: str) -> str:
    """``title`` as 16 hex digits (its words, spacing made single)."""
    return hashlib.sha256(" ".join(title.split()).encode()).hexdigest()[:16]


def record(gave: str) -> str:
    """The digest ``gave`` as the body's hidden record, ending in a newline."""
    return f"<!-- incident-bot title {gave} -->\n"


def given(body: str) -> str | None:
    """The digest the body's last record holds, None if it has none."""
    found = _RECORD.findall(body)
    return found[-1] if found else None


def label(gave: str) -> str:
    """The digest ``gave`` as a Jira label."""
    return f"{LABEL_PREFIX}{gave}"


def labelled(labels: list[str]) -> str | None:
    """The digest the labels record, None if none does."""
    found = [x[len(LABEL_PREFIX) :] for x in labels if x.startswith(LABEL_PREFIX)]
    return found[-1] if found else None
