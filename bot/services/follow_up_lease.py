"""Who is syncing an incident's follow-ups with the tracker, and when each was last sent to it.

One sync of an incident at a time, across requests and replicas: a lease in the incident's
facts (``follow-ups syncing:<id>`` = ``<holder> <since>``), taken at the start, renewed before
each follow-up (a long sync on a slow tracker keeps it; one that finds it taken over stops),
let go at the end. A holder that died loses it ``SYNC_LEASE`` after it last renewed.

And for a tracker whose search lags its writes (Jira): when the bot last asked the tracker to
open follow-up ``n`` (``follow-up filing:<id>:<n>`` = ``<when>``), so that an issue whose
creation answered with a failure (a 5xx, a timeout: it may have been made all the same) is
looked for again, not opened again, until the lag is over.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bot.services.incidents import IncidentService
from bot.services.ports import UnitOfWork
from bot.services.read_model import IncidentView

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

    def take(self, incident_id: int) -> str | None:
        """Become the one syncing the incident; the holder's name, None if another holds it."""
        holder = uuid.uuid4().hex

        def take(uow: UnitOfWork, view: IncidentView) -> str | None:
            held, since = _held(uow, incident_id)
            if held and since is not None and since + self.lease > view.now:
                return None
            uow.facts.put(_key(incident_id), f"{holder} {view.now.isoformat()}", view.now)
            return holder

        return self.incidents.hold(incident_id, take)

    def renew(self, incident_id: int, holder: str) -> bool:
        """Hold it for another lease from now; False if ``holder`` no longer holds it (it
        expired and another sync took over): then it must stop."""

        def renew(uow: UnitOfWork, view: IncidentView) -> bool:
            held, _since = _held(uow, incident_id)
            if held != holder:
                return False
            uow.facts.put(_key(incident_id), f"{holder} {view.now.isoformat()}", view.now)
            return True

        return self.incidents.hold(incident_id, renew)

    def let_go(self, incident_id: int, holder: str) -> None:
        def let_go(uow: UnitOfWork, view: IncidentView) -> None:
            if _held(uow, incident_id)[0] == holder:
                uow.facts.put(_key(incident_id), "", view.now)

        self.incidents.hold(incident_id, let_go)

    def last_filed(self, incident_id: int, number: int) -> datetime | None:
        """When the tracker was last asked to open follow-up ``number``, if ever."""

        def read(uow: UnitOfWork, view: IncidentView) -> datetime | None:
            return _time(uow.facts.get(f"{FILING_KEY}:{incident_id}:{number}") or "")

        return self.incidents.hold(incident_id, read)

    def filing(self, incident_id: int, number: int) -> None:
        """Note that the tracker is asked to open follow-up ``number`` now."""

        def note(uow: UnitOfWork, view: IncidentView) -> None:
            uow.facts.put(f"{FILING_KEY}:{incident_id}:{number}", view.now.isoformat(), view.now)

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
