"""A fixed set of incidents with hand-computed metrics (tests/core/test_insights.py says them).

A: Sev1 on checkout, assembled late, told of its first update at minute 12, resolved at 30,
reopened at 40 and resolved for good at 100; a rollback decided, then set aside.
B: Sev2 on search whose severity flip-flopped (Sev1 at 3, Sev2 at 4), acknowledged late at 25,
resolved at 60 with no status update; a deploy already rolled back.
C: a Sev3 on checkout the next week, acknowledged at 5, still open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core import deadlines, model
from bot.core.deadlines import AWAITS_TELLING
from bot.core.insights import Record
from bot.core.model import EventKind, Severity
from bot.services.ports import UnitOfWork
from tests.core.timelines import SHIPPED, T0, Timeline, at

NOW = T0 + timedelta(days=8)
DEPLOY = {"service": "checkout", "version": "v42", "finished_at": "2026-03-14T02:50:00+00:00"}


def _services(timeline: Timeline, services: str) -> None:
    timeline.events[0] = replace(timeline.events[0], extra={"services": services})


def _record(number: int, timeline: Timeline) -> Record:
    events = tuple(timeline.events)
    planned = deadlines.plan(events, SHIPPED, NOW)
    return Record(number, model.replay(events), events, planned)


def incident_a() -> Record:
    t = Timeline(Severity.SEV1)
    _services(t, "checkout")
    t.commander(2, "U_BOB").ack(7, "U_CAROL")
    t.add(8, EventKind.ROLLBACK_DECIDED, extra={**DEPLOY, "decision": "roll back"})
    t.add(9, EventKind.ROLLBACK_DECIDED, extra={**DEPLOY, "decision": "not related"})
    t.add(
        10,
        EventKind.STATUS_UPDATE_POSTED,
        next_update=timedelta(minutes=30),
        extra={AWAITS_TELLING: "1"},
    )
    t.add(12, EventKind.STAKEHOLDERS_TOLD, actor="incident-bot", extra={"update": "6"})
    t.add(20, EventKind.MITIGATED)
    t.add(21, EventKind.STAKEHOLDERS_TOLD, actor="incident-bot", extra={"update": "8"})
    t.add(30, EventKind.RESOLVED).add(40, EventKind.REOPENED).add(100, EventKind.RESOLVED)
    due = (at(120)).isoformat()
    t.add(101, EventKind.FOLLOW_UP_ADDED, subject="U_BOB", text="retries", extra={"due": due})
    t.add(110, EventKind.FOLLOW_UP_DONE, extra={"follow_up": "1"})
    return _record(1, t)


def incident_b() -> Record:
    t = Timeline(Severity.SEV2)
    _services(t, "search")
    t.severity(3, Severity.SEV1).severity(4, Severity.SEV2).ack(25, "U_DAN")
    other = {**DEPLOY, "service": "search", "decision": "already rolled back"}
    t.add(26, EventKind.ROLLBACK_DECIDED, extra=other)
    t.add(60, EventKind.RESOLVED)
    return _record(2, t)


def incident_c() -> Record:
    t = Timeline(Severity.SEV3, declared_at=7 * 24 * 60)
    _services(t, "checkout")
    t.ack(7 * 24 * 60 + 5, "U_EVE")
    return _record(3, t)


def records() -> list[Record]:
    return [incident_a(), incident_b(), incident_c()]


WEEK_1 = datetime(2026, 3, 9, tzinfo=UTC)
WEEK_2 = datetime(2026, 3, 16, tzinfo=UTC)


def store(units: Callable[[], UnitOfWork], chosen: list[Record]) -> None:
    """Keep ``chosen``'s timelines in the store, each a new incident (ids from 1 in order in a
    fresh database)."""
    for record in chosen:
        with units() as uow:
            stored = uow.incidents.declare(record.events[0])
            for n in range(1, len(record.events)):
                after = model.replay(record.events[: n + 1])
                uow.incidents.append(stored.id, record.events[n], after)
            uow.commit()
