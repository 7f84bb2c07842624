"""Follow-ups: captured while the incident happens and after, held to their due dates, and kept
in step with the team's tracker.

Each change is a timeline entry decided on the locked incident (``record_unless``), so its due
date is a deadline like the others: reminded, announced overdue and escalated by the durable
timers. Filing in the tracker is owed work with a timer of its own (``Purpose.TRACKER``),
recorded with the entry that owes it: a tracker that is down does not lose the follow-up, it is
filed when the tracker is back, once (an issue filed before the bot could note it is found by
its marker). The same timer polls the tracker while a linked follow-up is open, the fallback
for its webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core import timers
from bot.core.access import Right
from bot.core.follow_ups import Destination, FollowUp, FollowUpState
from bot.core.model import Event, EventKind
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotPermitted
from bot.services.follow_up_issues import issue_of
from bot.services.follow_up_lease import SyncLease
from bot.services.incidents import Changed, IncidentService
from bot.services.ports import UnitOfWork
from bot.services.read_model import IncidentView
from bot.services.records import BOT
from bot.services.trackers import Tracker, TrackerUnavailable

log = logging.getLogger(__name__)

TRACKER_KEY = timers.TRACKER_KEY
TRACKER_GRACE = timers.TRACKER_GRACE


@dataclass(frozen=True)
class NoSuchFollowUp:
    number: int
    known: int
    """How many the incident has."""


@dataclass(frozen=True)
class FollowUpClosed:
    """It is done or dropped already: nothing to change."""

    follow_up: FollowUp


@dataclass(frozen=True)
class DueInThePast:
    due_at: datetime


Refusal = NotPermitted | NoSuchFollowUp | FollowUpClosed | DueInThePast


class FollowUpNews(Protocol):
    """Where the incident hears what the tracker did (its channel). Each may raise."""

    def closed_there(self, view: IncidentView, follow_up: FollowUp) -> None:
        """Its issue was closed in the tracker, so it is done (or won't be done) here."""
        ...

    def refused(self, view: IncidentView, follow_up: FollowUp) -> None:
        """The tracker refused it for good (``follow_up.refused`` says why)."""
        ...


class FollowUps:
    def __init__(
        self,
        incidents: IncidentService,
        access: Access,
        playbooks: Playbooks,
        trackers: Mapping[str, Tracker],
        poll_every: timedelta = timedelta(minutes=15),
        person: Callable[[str], str] = str,
        words: Callable[[str], str] = str,
        news: FollowUpNews | None = None,
    ) -> None:
        self.news = news  # tells the channel; None: nobody to tell
        self.person = person  # how people outside Slack know a user id (@bob)
        self.words = words  # what people typed, from the chat's markup to plain words
        self.incidents = incidents
        self.access = access
        self.playbooks = playbooks
        self.trackers = trackers  # by name; empty: follow-ups live here only
        self.poll_every = poll_every
        self.lease = SyncLease(incidents)

    def add(
        self,
        user: str,
        incident_id: int,
        what: str,
        owner: str | None = None,
        due: datetime | None = None,
    ) -> FollowUp | Refusal:
        """Add a follow-up (anyone may); its owner is ``owner``, else the incident's commander,
        else ``user``; it is due ``due`` (UTC), else the severity's default after now."""
        now = self.incidents.clock()
        if due is not None and due <= now:
            return DueInThePast(due)

        def refuse(view: IncidentView) -> Refusal | None:
            return None

        def event_for(view: IncidentView) -> Event:
            rule = self.playbooks.policies[view.severity].follow_ups
            when = due or now + rule.due_after
            return self.incidents.event(
                EventKind.FOLLOW_UP_ADDED,
                user,
                subject=owner or view.commander or user,
                text=what,
                extra={"due": when.isoformat()},
            )

        view = self.incidents.get(incident_id)
        changed: Changed | Refusal = self.incidents.record_unless(
            incident_id, event_for(view), refuse, also=self._owe_tracker(view)
        )
        if not isinstance(changed, Changed):
            return changed
        return changed.view.follow_ups[-1]  # the incident as this entry left it

    def change(
        self,
        user: str,
        incident_id: int,
        number: int,
        *,
        what: str | None = None,
        owner: str | None = None,
        due: datetime | None = None,
    ) -> FollowUp | Refusal:
        """Edit, reassign or move the due date of follow-up ``number`` (its owner or the
        people who may steer the incident)."""
        if due is not None and due <= self.incidents.clock():
            return DueInThePast(due)
        extra = {"follow_up": str(number)}
        extra |= {"what": what} if what is not None else {}
        extra |= {"owner": owner} if owner is not None else {}
        extra |= {"due": due.isoformat()} if due is not None else {}
        return self._record(user, incident_id, number, EventKind.FOLLOW_UP_CHANGED, extra)

    def done(self, user: str, incident_id: int, number: int) -> FollowUp | Refusal:
        """Mark it done (met, if in time); its tracker issue is closed too."""
        extra = {"follow_up": str(number)}
        return self._record(user, incident_id, number, EventKind.FOLLOW_UP_DONE, extra)

    def drop(self, user: str, incident_id: int, number: int, why: str) -> FollowUp | Refusal:
        """It won't be done, because ``why``; its tracker issue is closed too."""
        extra = {"follow_up": str(number)}
        return self._record(user, incident_id, number, EventKind.FOLLOW_UP_DROPPED, extra, why)

    def _record(
        self,
        user: str,
        incident_id: int,
        number: int,
        kind: EventKind,
        extra: dict[str, str],
        text: str | None = None,
    ) -> FollowUp | Refusal:
        steer = self.access.rule(user, Right.STEER)

        def refuse(view: IncidentView) -> Refusal | None:
            found = view.follow_ups
            if not 1 <= number <= len(found):
                return NoSuchFollowUp(number, len(found))
            follow_up = found[number - 1]
            if not follow_up.is_open:
                return FollowUpClosed(follow_up)
            if user in (follow_up.owner, BOT):
                return None
            return steer(view)

        event = self.incidents.event(kind, user, text=text, extra=extra)
        view = self.incidents.get(incident_id)
        changed: Changed | Refusal = self.incidents.record_unless(
            incident_id, event, refuse, also=self._owe_tracker(view)
        )
        if not isinstance(changed, Changed):
            return changed
        return changed.view.follow_ups[number - 1]

    def _owe_tracker(self, view: IncidentView) -> Callable[[UnitOfWork, Changed], None] | None:
        """With the entry: the tracker is owed the change (filed, or closed), if the
        incident's services file follow-ups in one or one was filed before."""
        filed = any(f.link is not None for f in view.follow_ups)
        if self.destination(view) is None and not filed:
            return None

        def owe(uow: UnitOfWork, changed: Changed) -> None:
            at = changed.event.at + TRACKER_GRACE
            uow.timers.arm(changed.view.id, TRACKER_KEY, timers.Purpose.TRACKER, at)

        return owe

    def destination(self, view: IncidentView) -> tuple[Tracker, Destination] | None:
        """Where the incident's follow-ups are filed: its first service's destination whose
        tracker is configured."""
        for name in view.services:
            service = self.playbooks.catalog.service(name)
            where = service.follow_ups_destination() if service else None
            if where is not None and (tracker := self.trackers.get(where.tracker)):
                return tracker, where
        return None

    def sync(self, incident_id: int) -> bool:
        """Bring the incident's follow-ups and their tracker issues into step: file the open
        ones not filed yet, close the issues of those done or dropped here (as done or as won't
        do), and close here those whose issues were closed there. True when nothing is owed
        any more (the timer then polls while a filed follow-up is open); False when something
        is still owed, the tracker is down or refuses the bot (bad credentials, no such
        repository), or another request or replica is syncing this incident (one at a time, so
        none is filed twice): the timer tries again, backing off.

        A refusal is recorded and said in the channel once per reason. One about a single
        issue does not hold up the others: an issue deleted there is filed anew when its
        follow-up next changes; one the tracker would not close is tried again later.
        Raises StorageUnavailable."""
        holder = self.lease.take(incident_id)
        if holder is None:
            return False
        try:
            view = self.incidents.get(incident_id)
            for follow_up in view.follow_ups:
                if not self._owes(view, follow_up):
                    continue
                if not self.lease.renew(incident_id, holder):
                    return False  # it outlasted its lease and another took over: theirs now
                try:
                    self._sync_one(view, follow_up)
                except TrackerUnavailable as failure:
                    log.warning(
                        "the tracker refused follow-up %s: %s",
                        follow_up.number,
                        failure,
                        extra={"incident_id": incident_id, "lasting": failure.lasting},
                    )
                    if not self._about_the_issue(view, follow_up, failure):
                        return False  # down, or refusing the bot: the others would fail too
            return not self._still_owed(self.incidents.get(incident_id))
        finally:
            self.lease.let_go(incident_id, holder)

    def _owes(self, view: IncidentView, follow_up: FollowUp) -> bool:
        """Whether the tracker is owed something about ``follow_up``, or worth asking."""
        if follow_up.link is None:
            return follow_up.is_open and self.destination(view) is not None
        if follow_up.link.tracker not in self.trackers or follow_up.gone:
            return False
        return follow_up.is_open or not follow_up.closed_there

    def _still_owed(self, view: IncidentView) -> bool:
        """Something is owed that asking at the polling pace would leave waiting: a follow-up
        to file (one added while this sync ran, say), an issue to close or to bring up to date."""
        return any(
            self._owes(view, f) and (f.link is None or not f.is_open or f.stale)
            for f in view.follow_ups
        )

    def _about_the_issue(
        self, view: IncidentView, follow_up: FollowUp, failure: TrackerUnavailable
    ) -> bool:
        """Record a refusal about one filed issue (True: the others may go on); any other
        refusal is the whole tracker's, said once (False)."""
        link = follow_up.link
        if link is None or not failure.lasting or failure.status in (401, 403):
            if failure.lasting:
                self._refused(view, follow_up, str(failure), link.tracker if link else None)
            return False
        if failure.gone and not follow_up.is_open:  # deleted there: nothing left to close
            extra = {"follow_up": str(follow_up.number)}
            self.incidents.record(view.id, EventKind.FOLLOW_UP_CLOSED_THERE, BOT, extra=extra)
            return True
        self._refused(view, follow_up, str(failure), link.tracker, gone=failure.gone)
        return True

    def _sync_one(self, view: IncidentView, follow_up: FollowUp) -> None:
        link = follow_up.link
        if link is None:
            found = self.destination(view)
            assert found is not None  # _owes
            tracker, where = found
            new = issue_of(view, follow_up, self.words, self.person)
            nth = str(follow_up.number)
            issue = self.lease.file_once(view.id, nth, tracker, where, new, follow_up.added_at)
            if issue is None:
                return  # may be filed already, unseen yet: still owed, looked for again later
            extra = {
                "follow_up": str(follow_up.number),
                "tracker": tracker.name,
                "key": issue.key,
                "url": issue.url,
            }
            self.incidents.record(view.id, EventKind.FOLLOW_UP_LINKED, BOT, extra=extra)
            return
        filed_in = self.trackers[link.tracker]  # where it was filed, not where it would be now
        if follow_up.is_open and follow_up.stale:
            filed_in.update(
                link.key, issue_of(view, follow_up, self.words, self.person, updating=True)
            )
            extra = {
                "follow_up": str(follow_up.number),
                "tracker": link.tracker,
                "key": link.key,
                "url": link.url,
                "updated": "1",
            }
            written = (follow_up.what, follow_up.owner, follow_up.due_at)

            def changed_since(now: IncidentView) -> bool | None:
                again = now.follow_ups[follow_up.number - 1]
                return True if (again.what, again.owner, again.due_at) != written else None

            event = self.incidents.event(EventKind.FOLLOW_UP_LINKED, BOT, extra=extra)
            self.incidents.record_unless(view.id, event, changed_since)  # else: still stale
        issue = filed_in.get(link.key)
        number = {"follow_up": str(follow_up.number)}
        if not follow_up.is_open:
            if issue.state is FollowUpState.OPEN:
                filed_in.close(link.key, follow_up.state)
            self.incidents.record(view.id, EventKind.FOLLOW_UP_CLOSED_THERE, BOT, extra=number)
        elif issue.closed:
            self.closed_in_tracker(
                view.id, follow_up.number, issue.state, closed_at=issue.closed_at
            )

    def _refused(
        self,
        view: IncidentView,
        follow_up: FollowUp,
        why: str,
        tracker: str | None,
        gone: bool = False,
    ) -> None:
        """Record the refusal and tell the channel, once per reason."""
        why = why[:500]
        if follow_up.refused == why:
            return
        if tracker is None:
            found = self.destination(view)
            tracker = found[0].name if found else "the tracker"
        extra = {"follow_up": str(follow_up.number), "tracker": tracker}
        extra |= {"gone": "1"} if gone else {}
        self.incidents.record(view.id, EventKind.FOLLOW_UP_REFUSED, BOT, text=why, extra=extra)
        if self.news is not None:
            refused = replace(follow_up, refused=why, gone=gone)
            try:
                self.news.refused(self.incidents.get(view.id), refused)
            except Exception:
                log.exception("could not tell the channel", extra={"incident_id": view.id})

    def closed_in_tracker(
        self,
        incident_id: int,
        number: int,
        state: FollowUpState = FollowUpState.DONE,
        key: str | None = None,
        closed_at: datetime | None = None,
    ) -> bool:
        """Its issue was closed in the tracker: done here, or dropped when it was closed as
        won't do (``state``), unless it was closed here already. With ``key`` (a webhook's
        word), only if the follow-up is linked to that very issue (its key in any case). False
        when no such follow-up is linked so. ``closed_at``: when the tracker says it was
        closed, which decides whether it was done on time (not when the bot learnt it).
        Raises StorageUnavailable."""
        try:
            view = self.incidents.get(incident_id)
        except LookupError:
            return False
        found = view.follow_ups[number - 1] if 1 <= number <= len(view.follow_ups) else None
        if found is None or (key is not None and not _linked_to(found, key)):
            return False
        there = {"closed_there": "1"}
        if closed_at is not None:
            there["closed_at"] = max(closed_at, found.added_at).isoformat()
        if state is FollowUpState.WONT_DO:
            where = found.link.key if found.link else "the tracker"
            why = f"closed as not planned in {where}"
            result = self._record(
                BOT, incident_id, number, EventKind.FOLLOW_UP_DROPPED, _about(number, there), why
            )
        else:
            result = self._record(
                BOT, incident_id, number, EventKind.FOLLOW_UP_DONE, _about(number, there)
            )
        if isinstance(result, FollowUp) and self.news is not None:
            try:
                self.news.closed_there(self.incidents.get(incident_id), result)
            except Exception:
                log.exception("could not tell the channel", extra={"incident_id": incident_id})
        return isinstance(result, FollowUp | FollowUpClosed)

    def still_to_poll(self, incident_id: int) -> bool:
        """A filed follow-up is open (or its issue still to close): worth asking about again,
        in the tracker it was filed in, whatever the incident's services are now."""
        view = self.incidents.get(incident_id)
        return any(f.link is not None and self._owes(view, f) for f in view.follow_ups)

    def look_again(self, incident_id: int, number: int) -> None:
        """Before follow-up ``number``'s reminder or overdue notice: ask its tracker whether
        its issue was closed there meanwhile (a webhook lost, the next poll not come), so a
        follow-up done there in time is done in time here and nobody is told it is late. Best
        effort: a tracker that does not answer leaves it as it was. Raises
        StorageUnavailable."""
        view = self.incidents.get(incident_id)
        found = view.follow_ups[number - 1] if 1 <= number <= len(view.follow_ups) else None
        link = found.link if found is not None and found.is_open else None
        tracker = self.trackers.get(link.tracker) if link is not None else None
        if link is None or tracker is None:
            return
        try:
            issue = tracker.get(link.key)
        except TrackerUnavailable as failure:
            log.info("could not look at follow-up %s's issue: %s", number, failure)
            return
        if issue.closed:
            self.closed_in_tracker(incident_id, number, issue.state, link.key, issue.closed_at)


def _linked_to(follow_up: FollowUp, key: str) -> bool:
    """Whether ``follow_up`` is linked to the issue ``key``, in any case: GitHub's owner and
    repository names are case-insensitive (the catalog may spell ``acme/checkout`` what GitHub
    calls ``Acme/Checkout``), and Jira takes its keys in any case."""
    return follow_up.link is not None and follow_up.link.key.casefold() == key.casefold()


def _about(number: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"follow_up": str(number), **(extra or {})}
