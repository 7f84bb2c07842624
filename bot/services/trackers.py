"""The team's tracker (GitHub Issues, Jira, ...): where follow-ups become issues someone works on.

One small port; an adapter per tracker (``bot/adapters/trackers/``). Where a service's
follow-ups go is the catalog's word (``Destination``); credentials come from the environment
and stay in the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.follow_ups import Destination


class TrackerUnavailable(Exception):
    """The tracker refused the call or could not be reached; ``str()`` says why, in words
    (never a credential). ``lasting``: asking again will not help until someone fixes it (bad
    credentials, no such repository or project)."""

    def __init__(self, why: str, lasting: bool = False) -> None:
        super().__init__(why)
        self.lasting = lasting


@dataclass(frozen=True)
class Issue:
    """An issue in a tracker: its key (``acme/checkout#12``, ``PAY-31``), web address and
    whether it is closed (done) there."""

    key: str
    url: str
    closed: bool = False


@dataclass(frozen=True)
class NewIssue:
    """What a follow-up asks the tracker to open. ``marker`` is written into the issue so that
    one opened before the bot could note it is found again rather than opened twice."""

    title: str
    body: str
    marker: str
    due: str
    """ISO date (UTC) the follow-up is due."""


class Tracker(Protocol):
    """One tracker. Every call raises TrackerUnavailable when it fails."""

    @property
    def name(self) -> str:
        """``github``, ``jira``: what the catalog's destinations name."""
        ...

    def find(self, where: Destination, marker: str) -> Issue | None:
        """The issue opened with ``marker``, if there is one."""
        ...

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        """Open ``issue``; returns it as the tracker keeps it."""
        ...

    def get(self, where: Destination, key: str) -> Issue:
        """The issue ``key`` as it is now (``closed``: done there)."""
        ...

    def close(self, where: Destination, key: str) -> None:
        """Close (resolve) the issue; one already closed is no failure."""
        ...
