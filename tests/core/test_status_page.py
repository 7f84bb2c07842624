"""The status page in the protocol's terms: what each state says there, and what was sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core import lifecycle, status_page
from bot.core.model import Event, EventKind, Severity
from bot.core.status_page import PageIncident, PageStatus, Send

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def sent(seq: int, key: str, status: str, page: str = "inc1") -> Event:
    extra = {"key": key, "page_incident": page, "status": status, "url": "http://stspg.io/1"}
    return Event(seq, T0, EventKind.STATUS_PAGE_UPDATED, "U0ALICE", text=status, extra=extra)


DECLARED = Event(1, T0, EventKind.DECLARED, "U0ALICE", Severity.SEV1, text="down")


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (lifecycle.State.INVESTIGATING, PageStatus.INVESTIGATING),
        (lifecycle.State.MITIGATED, PageStatus.MONITORING),
        (lifecycle.State.RESOLVED, PageStatus.RESOLVED),
        (lifecycle.State.CLOSED, PageStatus.RESOLVED),
    ],
)
def test_each_state_says_something_on_the_page(state: lifecycle.State, shown: PageStatus) -> None:
    assert status_page.PAGE_STATUS[state] is shown


@pytest.mark.parametrize(
    ("send", "basis", "key"),
    [
        (Send.OPEN, 0, "statuspage:7:open"),
        (Send.OPEN, 12, "statuspage:7:open"),  # one page incident, whichever offer opened it
        (Send.UPDATE, 12, "statuspage:7:update:12"),
        (Send.RESOLVE, 2, "statuspage:7:resolve:2"),
    ],
)
def test_what_may_reach_the_page_once(send: Send, basis: int, key: str) -> None:
    assert status_page.once_key(7, send, basis) == key


def test_the_page_incident_is_the_last_one_recorded() -> None:
    assert status_page.page_incident([DECLARED]) is None
    events = [DECLARED, sent(2, "statuspage:1:open", "investigating")]
    events.append(sent(3, "statuspage:1:resolve:1", "resolved"))
    found = status_page.page_incident(events)
    assert found == PageIncident("inc1", PageStatus.RESOLVED, "http://stspg.io/1")
    assert not found.is_open
    assert status_page.sent_as(events, "statuspage:1:open") == events[1]
    assert status_page.sent_as(events, "statuspage:1:update:4") is None


def test_resolutions_are_counted() -> None:
    resolved = Event(2, T0, EventKind.RESOLVED, "U0ALICE")
    reopened = Event(3, T0, EventKind.REOPENED, "U0ALICE")
    again = Event(4, T0, EventKind.RESOLVED, "U0ALICE")
    assert status_page.resolutions([DECLARED, resolved, reopened, again]) == 2
