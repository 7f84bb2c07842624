"""A follow-up (or a Sev3's ticket) as the issue the tracker is asked to keep, in plain words:
no Slack markup, and the owner named without an at sign, which would mention someone else in
the tracker."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.follow_ups import FollowUp
from bot.services.read_model import IncidentView
from bot.services.trackers import NewIssue

TITLE_MOST = 240
"""Characters of an issue's title (GitHub takes 256, Jira 255)."""


def marker(incident_id: int, what: int | str) -> str:
    """The marker an issue is filed with (``incident-bot:7:2``; ``incident-bot:7:ticket``)."""
    return f"incident-bot:{incident_id}:{what}"


def issue_of(
    view: IncidentView,
    follow_up: FollowUp,
    words: Callable[[str], str],
    person: Callable[[str], str],
    updating: bool = False,
) -> NewIssue:
    """``follow_up`` of the incident ``view`` as an issue: ``words`` makes typed text plain,
    ``person`` names a user outside Slack. ``updating``: its issue was filed, and its title
    is changed only while it is the one the bot gave it (from ``follow_up.filed_what``)."""
    what = words(follow_up.what)
    owner = person(follow_up.owner).lstrip("@")
    body = (
        f"Follow-up {follow_up.number} of {view.severity.label} incident {view.id}: "
        f"{words(view.title)}\n\n{what}\n\nDue {follow_up.due_at:%Y-%m-%d %H:%M} UTC. "
        f"Owner in Slack: {owner}."
    )
    was = shortened(words(follow_up.filed_what), TITLE_MOST) if updating else None
    return NewIssue(
        shortened(what, TITLE_MOST),
        body,
        marker(view.id, follow_up.number),
        follow_up.due_at.date().isoformat(),
        was,
    )


def shortened(text: str, most: int) -> str:
    """``text`` in at most ``most`` characters, ending in "…" where it was cut."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
