"""An incident's follow-ups (action items), as its timeline says they are now.

A follow-up is what must be done so that the incident cannot happen again: added while it
happens or after, each with an owner and a due date, then edited, reassigned, done or dropped
("won't do"), each a timeline entry (``EventKind.FOLLOW_UP_*``). Its number is its place among
the incident's follow-ups in the order they were added (1, 2, ...): two added at once are
numbered by the order the database appended them, so no number is ever decided twice.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.core import durations
from bot.core.model import Event, EventKind


class FollowUpState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    WONT_DO = "won't do"


@dataclass(frozen=True)
class TrackerLink:
    """The follow-up's issue in the team's tracker: which tracker, the issue's key there
    (``acme/checkout#12``, ``PAY-31``) and its web address."""

    tracker: str
    key: str
    url: str


@dataclass(frozen=True)
class FollowUp:
    number: int
    what: str
    owner: str
    due_at: datetime
    """UTC."""
    added_at: datetime
    added_by: str
    state: FollowUpState = FollowUpState.OPEN
    closed_at: datetime | None = None
    """When it was done or dropped."""
    why_not: str = ""
    """Why it won't be done, if dropped."""
    link: TrackerLink | None = None
    refused: str = ""
    """Why the tracker last refused it ("" if it did not, or it changed since): said once."""
    gone: bool = False
    """Its issue no longer exists in the tracker: filed anew when it next changes."""
    closed_there: bool = False
    """Closed here and its issue closed in the tracker too: nothing more to ask there."""
    missed: bool = False
    """It was still open when a due date passed (and the date was moved after)."""
    stale: bool = False
    """Changed since it was filed: its issue still says what it said before."""
    filed_what: str = ""
    """What it said when its issue was last written (the issue's title came from it)."""

    @property
    def is_open(self) -> bool:
        return self.state is FollowUpState.OPEN

    @property
    def done_on_time(self) -> bool:
        return (
            self.state is FollowUpState.DONE
            and not self.missed
            and self.closed_at is not None
            and self.closed_at <= self.due_at
        )


@dataclass(frozen=True)
class Destination:
    """Where one service's follow-ups are filed: ``tracker`` ("github", "jira") and ``place``
    there (a repository ``owner/name``; a Jira project key), ``kind`` the Jira issue type."""

    tracker: str
    place: str
    kind: str = ""


FOLLOW_UP_KINDS = frozenset(
    {
        EventKind.FOLLOW_UP_ADDED,
        EventKind.FOLLOW_UP_CHANGED,
        EventKind.FOLLOW_UP_DONE,
        EventKind.FOLLOW_UP_DROPPED,
        EventKind.FOLLOW_UP_LINKED,
        EventKind.FOLLOW_UP_REFUSED,
        EventKind.FOLLOW_UP_CLOSED_THERE,
    }
)


def number_of(event: Event) -> int:
    """The follow-up an entry other than its adding is about (0 if it names none)."""
    try:
        return int(event.extra.get("follow_up", "0"))
    except ValueError:
        return 0


def follow_ups(events: Iterable[Event]) -> tuple[FollowUp, ...]:
    """The incident's follow-ups as its timeline leaves them, by number. Entries about a
    number never added are ignored."""
    found: list[FollowUp] = []
    for event in sorted(events, key=lambda e: e.seq):
        if event.kind is EventKind.FOLLOW_UP_ADDED:
            found.append(added(event, len(found) + 1))
            continue
        if event.kind not in FOLLOW_UP_KINDS:
            continue
        number = number_of(event)
        if not 1 <= number <= len(found):
            continue
        found[number - 1] = _apply(found[number - 1], event)
    return tuple(found)


def added(event: Event, number: int) -> FollowUp:
    """The follow-up a FOLLOW_UP_ADDED entry adds, as number ``number``."""
    return FollowUp(
        number,
        event.text or "",
        event.subject or event.actor,
        datetime.fromisoformat(event.extra["due"]),
        event.at,
        event.actor,
    )


def done_at(event: Event) -> datetime:
    """When a FOLLOW_UP_DONE or _DROPPED entry says it was closed: the tracker's own close time
    when its issue was closed there (``extra["closed_at"]``, learnt later by polling, say), else
    when the entry was made; never later than the entry."""
    told = event.extra.get("closed_at")
    try:
        at = datetime.fromisoformat(told) if told else event.at
    except ValueError:
        return event.at
    return at if at.tzinfo is not None and at <= event.at else event.at


def _apply(follow_up: FollowUp, event: Event) -> FollowUp:
    extra = event.extra
    if event.kind is EventKind.FOLLOW_UP_REFUSED:
        gone = follow_up.gone or extra.get("gone") == "1"
        return replace(follow_up, refused=event.text or "refused", gone=gone)
    follow_up = replace(follow_up, refused="")  # a change is worth asking the tracker again
    match event.kind:
        case EventKind.FOLLOW_UP_CHANGED:
            due = datetime.fromisoformat(extra["due"]) if "due" in extra else follow_up.due_at
            return replace(
                follow_up,
                what=extra.get("what", follow_up.what),
                owner=extra.get("owner", follow_up.owner),
                due_at=due,
                missed=follow_up.missed or ("due" in extra and event.at > follow_up.due_at),
                link=None if follow_up.gone else follow_up.link,  # gone there: filed anew
                gone=False,
                stale=follow_up.link is not None and not follow_up.gone,
            )
        case EventKind.FOLLOW_UP_DONE | EventKind.FOLLOW_UP_DROPPED:
            done = event.kind is EventKind.FOLLOW_UP_DONE
            return replace(
                follow_up,
                state=FollowUpState.DONE if done else FollowUpState.WONT_DO,
                closed_at=done_at(event),
                why_not="" if done else event.text or "",
                closed_there=extra.get("closed_there") == "1" or follow_up.gone,
            )
        case EventKind.FOLLOW_UP_LINKED:
            link = TrackerLink(extra.get("tracker", ""), extra.get("key", ""), extra.get("url", ""))
            return replace(
                follow_up,
                link=link,
                gone=False,
                closed_there=False,
                stale=False,
                filed_what=follow_up.what,
            )
        case EventKind.FOLLOW_UP_CLOSED_THERE:
            return replace(follow_up, closed_there=True)
    return follow_up


DUE_EXAMPLE = "a date such as 2026-12-15, or a time from now such as 14d or 2w"
FARTHEST_DUE = timedelta(days=366)
"""A follow-up due later than this is a wish, not a follow-up (and ``999w`` a typo)."""


class DueError(ValueError):
    """A due date that cannot be read; ``str()`` says what to type instead."""


def due_from(text: str, now: datetime) -> datetime:
    """When a follow-up typed as due ``text`` is due (UTC): a date (``2026-12-15``: by the end
    of that day, 23:59 UTC) or a time from ``now`` (``14d``, ``36h``, ``2w``, ``7 days``).
    Raises DueError, also for a time not after ``now`` or more than ``FARTHEST_DUE`` after
    it."""
    cleaned = _unit_letters(text.strip().lower())
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            day = date.fromisoformat(cleaned)
            due = datetime.combine(day, time(23, 59), tzinfo=UTC)
        elif match := re.fullmatch(r"(\d{1,6})w", cleaned):
            due = now + timedelta(weeks=int(match.group(1)))
        else:
            due = now + durations.parse(cleaned)
    except (ValueError, OverflowError) as error:
        raise DueError(f"`{text}` is not a due date: give {DUE_EXAMPLE}") from error
    if due <= now:
        raise DueError(f"{text} is past: give {DUE_EXAMPLE}")
    if due > now + FARTHEST_DUE:
        raise DueError(f"{text} is more than a year away: give a date within a year")
    return due


_SPELLED = re.compile(r"(\d{1,6})\s*(weeks?|days?|hours?|hrs?|minutes?|mins?)")


def _unit_letters(text: str) -> str:
    """A time spelled out (``7 days``, ``2 weeks``, ``3 hours``) in letters (``7d``)."""
    spelled = _SPELLED.fullmatch(text)
    return f"{spelled.group(1)}{spelled.group(2)[0]}" if spelled else text


def follow_up_entry(
    event: Event, person: Callable[[str], str] = str, typed: Callable[[str], str] = str
) -> str:
    """A follow-up's timeline entry in words: ``person`` names a user id, ``typed`` makes what
    people typed safe where it is shown (mrkdwn escaping, say)."""
    number = event.extra.get("follow_up", "?")
    match event.kind:
        case EventKind.FOLLOW_UP_ADDED:
            due = event.extra.get("due", "")[:10]
            owner = person(event.subject or event.actor)
            return f"follow-up added: {typed(event.text or '')} (owner {owner}, due {due})"
        case EventKind.FOLLOW_UP_CHANGED:
            extra = event.extra
            changes = [f"what {typed(extra['what'])}"] if "what" in extra else []
            changes += [f"owner {person(extra['owner'])}"] if "owner" in extra else []
            changes += [f"due {extra['due'][:10]}"] if "due" in extra else []
            return f"follow-up {number} changed: {', '.join(changes)}"
        case EventKind.FOLLOW_UP_DONE:
            return f"follow-up {number} done"
        case EventKind.FOLLOW_UP_DROPPED:
            return f"follow-up {number} won't be done: {typed(event.text or '')}"
        case EventKind.FOLLOW_UP_LINKED:
            key = typed(event.extra.get("key", "?"))
            if event.extra.get("updated") == "1":
                return f"follow-up {number}'s issue {key} now says what it says"
            return f"follow-up {number} filed as {key}"
        case EventKind.FOLLOW_UP_REFUSED:
            tracker = event.extra.get("tracker", "the tracker")
            return f"follow-up {number}: {tracker} refused it: {typed(event.text or '')}"
        case EventKind.FOLLOW_UP_CLOSED_THERE:
            return f"follow-up {number}'s issue is closed in the tracker too"
    return str(event.kind).replace("_", " ")
