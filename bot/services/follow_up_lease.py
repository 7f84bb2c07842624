"""Who is syncing an incident's follow-ups with the tracker, and when each was last sent to it.

One sync of an incident at a time, across requests and replicas: a lease in the incident's
facts (``follow-ups syncing:<id>`` = ``<holder> <since>``), taken at the start, renewed before
each follow-up (a long sync on a slow tracker keeps it; one that finds it taken over stops),
let go at the end. A holder that died loses it ``SYNC_LEASE`` after it last renewed.

And for a tracker whose search lags its writes (Jira): when the bot last asked the tracker to
open follow-up ``n`` or a Sev3's ticket (``follow-up filing:<id>:<n>`` or ``:ticket`` =
``<when>``), so that an issue whose
creation answered with a failure (a 5xx, a timeout: it may have been made all the same) is
looked for again, not opened again, until the lag is over.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from bot.core.follow_ups import Destination
from bot.services.incidents import IncidentService
from bot.services.ports import UnitOfWork
from bot.services.read_model import IncidentView
from bot.services.trackers import Issue, NewIssue, Tracker, TrackerUnavailable

log = logging.getLogger(__name__)

SYNC_KEY = "follow-ups syncing"
FILING_KEY = "follow-up filing"
SYNC_LEASE = timedelta(minutes=5)
"""How long a sync holds an incident's follow-ups after it last renewed (before each
follow-up) before another may take over (its holder died): a follow-up's tracker calls time
out after 10 s each, so this is room for thirty of them."""


class SyncLease:
    def __init__(self, incidents: IncidentService, lease: timedelta = SYNC_LEASE) -> None:
        self.incidents = incidents
        self.lease = lease
        self._renewed: dict[str, datetime] = {}
        """When each holder here last wrote its lease: renewed again only once a fifth of
        the lease has passed (not one write per follow-up polled)."""

    def take(self, incident_id: int) -> str | None:
        """Become the one syncing the incident; the holder's name, None if another holds it."""
        holder = uuid.uuid4().hex

        def take(uow: UnitOfWork, view: IncidentView) -> str | None:
            held, since = _held(uow, incident_id)
            if held and since is not None and since + self.lease > view.now:
                return None
            self._write(uow, incident_id, holder, view.now)
            return holder

        return self.incidents.hold(incident_id, take)

    def renew(self, incident_id: int, holder: str) -> bool:
        """Hold it for another lease from now; False if ``holder`` no longer holds it (it
        expired and another sync took over): then it must stop."""
        last = self._renewed.get(holder)
        if last is not None and last <= self.incidents.clock() < last + self.lease / 5:
            return True  # most of the lease is left

        def renew(uow: UnitOfWork, view: IncidentView) -> bool:
            held, _since = _held(uow, incident_id)
            if held != holder:
                return False
            self._write(uow, incident_id, holder, view.now)
            return True

        return self.incidents.hold(incident_id, renew)

    def _write(self, uow: UnitOfWork, incident_id: int, holder: str, now: datetime) -> None:
        """``holder`` holds the incident's sync as of ``now``, here and in the database."""
        uow.facts.put(_key(incident_id), f"{holder} {now.isoformat()}", now)
        self._renewed[holder] = now

    def let_go(self, incident_id: int, holder: str) -> None:
        self._renewed.pop(holder, None)

        def let_go(uow: UnitOfWork, view: IncidentView) -> None:
            if _held(uow, incident_id)[0] == holder:
                uow.facts.put(_key(incident_id), "", view.now)

        self.incidents.hold(incident_id, let_go)

    def file_once(
        self,
        incident_id: int,
        what: str,
        tracker: Tracker,
        where: Destination,
        issue: NewIssue,
        since: datetime,
    ) -> Issue | None:
        """The issue of ``what`` (a follow-up's number, or ``ticket``) in ``tracker``: the
        one filed before with ``issue.marker`` (not before ``since``), else opened now; None
        while it may be there already unseen (``may_be_filed``): ask again later. Raises
        TrackerUnavailable; one that says the issue was not made (a 4xx) is not waited out."""
        found = tracker.find(where, issue.marker, since)
        if found is not None or self.may_be_filed(incident_id, what, tracker):
            return found
        try:
            return tracker.open(where, issue)
        except TrackerUnavailable as refused:
            if refused.status is not None and 400 <= refused.status < 500:
                self.forget(incident_id, what)  # refused, so not made: nothing to wait for
            raise

    def may_be_filed(self, incident_id: int, what: str, tracker: Tracker) -> bool:
        """Whether the issue of ``what`` (a follow-up's number, or ``ticket``) may be in
        ``tracker`` though its search does not show it yet: it was asked to open it less than
        its search lag ago (the answer lost: a 5xx, a timeout). Otherwise it is about to be
        asked, and that is noted."""
        lag = tracker.search_lag
        if lag <= timedelta(0):
            return False
        last = self.last_filed(incident_id, what)
        if last is not None and self.incidents.clock() < last + lag:
            log.info(
                "%s may be filed already; looked for again once %s's search shows it",
                what,
                tracker.name,
                extra={"incident_id": incident_id},
            )
            return True
        self.filing(incident_id, what)
        return False

    def last_filed(self, incident_id: int, what: str) -> datetime | None:
        """When the tracker was last asked to open ``what`` (a follow-up's number, or
        ``ticket``: a Sev3's), if ever."""

        def read(uow: UnitOfWork, view: IncidentView) -> datetime | None:
            return _time(uow.facts.get(f"{FILING_KEY}:{incident_id}:{what}") or "")

        return self.incidents.hold(incident_id, read)

    def filing(self, incident_id: int, what: str) -> None:
        """Note that the tracker is asked to open ``what`` now."""
        self._note(incident_id, what, filing=True)

    def forget(self, incident_id: int, what: str) -> None:
        """The tracker refused to open ``what``: it was not made."""
        self._note(incident_id, what, filing=False)

    def _note(self, incident_id: int, what: str, filing: bool) -> None:
        def note(uow: UnitOfWork, view: IncidentView) -> None:
            when = view.now.isoformat() if filing else ""
            uow.facts.put(f"{FILING_KEY}:{incident_id}:{what}", when, view.now)

        self.incidents.hold(incident_id, note)


def _key(incident_id: int) -> str:
    return f"{SYNC_KEY}:{incident_id}"


def _held(uow: UnitOfWork, incident_id: int) -> tuple[str, datetime | None]:
    """Who holds the incident's sync ("" if nobody) and since when they last renewed."""
    held, _, since = (uow.facts.get(_key(incident_id)) or "").partition(" ")
    return held, _time(since)


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
