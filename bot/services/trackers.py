"""The team's tracker (GitHub Issues, Jira, ...): where follow-ups become issues someone works on.

One small port; an adapter per tracker (``bot/adapters/trackers/``). Where a service's
follow-ups go is the catalog's word (``Destination``); credentials come from the environment
and stay in the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.follow_ups import Destination, FollowUpState


class TrackerUnavailable(Exception):
    """The tracker refused the call or could not be reached; ``str()`` says why, in words
    (never a credential). ``lasting``: asking again soon will not help until someone fixes
    something (bad credentials, no such repository or issue, a workflow without a done
    transition); ``status``: the HTTP status it answered, if it answered."""

    def __init__(self, why: str, lasting: bool = False, status: int | None = None) -> None:
        super().__init__(why)
        self.lasting = lasting
        self.status = status

    @property
    def gone(self) -> bool:
        """The issue asked about does not exist there (any more)."""
        return self.status in (404, 410)


@dataclass(frozen=True)
class Issue:
    """An issue in a tracker: its key (``acme/checkout#12``, ``PAY-31``: enough to find it
    again, whatever the incident's services become), web address and state there: open, done
    (GitHub "completed", Jira's Done) or won't do (GitHub "not planned", Jira's Won't Do,
    Duplicate, Cannot Reproduce)."""

    key: str
    url: str
    state: FollowUpState = FollowUpState.OPEN
    closed_at: datetime | None = None
    """When it was closed there (GitHub's ``closed_at``, Jira's ``resolutiondate``), if it is
    and the tracker says."""

    @property
    def closed(self) -> bool:
        return self.state is not FollowUpState.OPEN


@dataclass(frozen=True)
class NewIssue:
    """What a follow-up asks the tracker to open. ``marker`` is written into the issue so that
    one opened before the bot could note it is found again rather than opened twice."""

    title: str
    body: str
    marker: str
    due: str
    """ISO date (UTC) the follow-up is due."""
    was_title: str | None = None
    """For an update: the title the bot gave the issue when it last wrote it. The tracker's
    title is changed only while it still says that: one the team changed there stays."""


class Tracker(Protocol):
    """One tracker. Every call raises TrackerUnavailable when it fails."""

    @property
    def name(self) -> str:
        """``github``, ``jira``: what the catalog's destinations name."""
        ...

    @property
    def search_lag(self) -> timedelta:
        """How long an issue just opened may stay out of ``find``'s answers (Jira's search
        lags its writes; 0 where ``find`` reads what was written): an open whose answer was
        lost is not tried again before this."""
        ...

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        """The issue opened with ``marker``, if there is one; ``since``: it was not opened
        before then (the follow-up was added then), so older issues need no looking at."""
        ...

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        """Open ``issue``; returns it as the tracker keeps it."""
        ...

    def update(self, key: str, issue: NewIssue) -> None:
        """Bring the bot's own part of the issue ``key`` up to date with ``issue`` (its due
        date; its title unless the team changed it since, see ``NewIssue.was_title``; its
        words in the body, or a comment saying them) and keep what the team wrote there; the
        marker it was filed with stays."""
        ...

    def get(self, key: str) -> Issue:
        """The issue ``key`` (as ``open`` or ``find`` gave it) as it is now."""
        ...

    def close(self, key: str, state: FollowUpState) -> None:
        """Close the issue as done or as won't do (``state``); one already closed is no
        failure."""
        ...
