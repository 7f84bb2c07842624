"""The status page store (the same suite on SQLite and PostgreSQL): a claim, its release, and
the page incident as the page answered, times kept in UTC."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.status_pages import StatusPages
from bot.core.status_page import PageIncident, PageStatus
from bot.services.records import PageRecord
from tests.adapters.db.test_storage import declaration
from tests.core.timelines import at


def test_a_claim_its_release_and_what_the_page_answered(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        incident = Incidents(session).declare(declaration()).id
        assert StatusPages(session).get(incident) is None
        StatusPages(session).claim(incident, "statuspage:1:open", "U0ALICE", at(1))
    with sessions.begin() as session:
        claimed = StatusPages(session).get(incident)
        assert claimed == PageRecord(None, "statuspage:1:open", "U0ALICE", at(1))
        StatusPages(session).release(incident)
    with sessions.begin() as session:
        assert StatusPages(session).get(incident) == PageRecord()
        StatusPages(session).claim(incident, "statuspage:1:open", "U0BOB", at(2))
        page = PageIncident("p31zjtct2jer", PageStatus.INVESTIGATING, "http://stspg.io/1")
        StatusPages(session).sent(incident, page, at(3))
    with sessions.begin() as session:
        assert StatusPages(session).get(incident) == PageRecord(page)
        resolved = PageIncident("p31zjtct2jer", PageStatus.RESOLVED, "http://stspg.io/1")
        StatusPages(session).sent(incident, resolved, at(9))
    with sessions.begin() as session:
        assert StatusPages(session).get(incident) == PageRecord(resolved)
