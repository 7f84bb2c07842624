"""Insights checked from outside after the rework: a miss recorded late after an on-time
answer stays met, CSV numbers stay numbers, escaping never leaves an override open."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from tests.conftest import engine, migrated_engine, sessions  # noqa: F401


def test_csv_cells_a_spreadsheet_would_run_are_text(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    from bot.adapters import reports
    from bot.core.model import EventKind, Severity
    from bot.services.insights import Insights
    from tests.core.timelines import SHIPPED, T0, Timeline
    from tests.support.insights import _record, store

    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\t=1"]
    records = []
    for n, name in enumerate(names, 1):
        t = Timeline(Severity.SEV2, n * 60)
        t.events[0] = replace(t.events[0], extra={"services": name})
        t.ack(n * 60 + 4, "U_BOB").add(n * 60 + 30, EventKind.RESOLVED)
        records.append(_record(n, t))
    units = units_of_work(sessions)
    store(units, records)
    report = Insights(units, SHIPPED, lambda: T0 + timedelta(days=3)).report(timedelta(days=7))
    rows = list(csv.reader(io.StringIO(reports.csv_text(report))))
    groups = {row[1] for row in rows[1:] if row[0] == "by service"}
    assert groups and all(g.startswith("'") for g in groups), groups
    assert all(row[3] == "" or row[3].lstrip("-").isdigit() for row in rows[1:])  # numbers stay


def test_bidi_closed_and_cut_closed_never_leave_an_opener_and_cut_never_grows() -> None:
    from bot.adapters.slack import mrkdwn
    from bot.core import bidi

    alphabet = "ab \n\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069&<>"
    rng = random.Random(19)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert bidi._unclosed(bidi.closed(text)) == []
        assert bidi._unclosed(mrkdwn.escape(text)) == []
        limit = rng.randint(2, 20)
        for cut in (
            mrkdwn.truncate(mrkdwn.escape(text), limit),
            mrkdwn.shortened(mrkdwn.escape(text), limit),
        ):
            assert bidi._unclosed(cut) == []
        assert len(mrkdwn.truncate(text, limit)) <= max(limit, len(text))


def test_severity_filter_keeps_a_downgraded_sev1() -> None:
    from bot.core import deadlines, insights, model
    from bot.core.insights import Record, Scope
    from bot.core.model import EventKind, Severity
    from tests.core.timelines import SHIPPED, T0, Timeline

    t = Timeline(Severity.SEV1)
    t.add(3, EventKind.SEVERITY_CHANGED, severity=Severity.SEV2)
    events = tuple(t.events)
    record = Record(1, model.replay(events), events, deadlines.plan(events, SHIPPED, T0))
    scope = Scope(T0 - timedelta(days=1), T0 + timedelta(days=1), frozenset({Severity.SEV1}))
    assert insights.select([record], scope) == [record]


def test_a_deadline_met_on_time_stays_met_when_a_late_timer_recorded_a_miss_after() -> None:
    from bot.core import deadlines
    from bot.core.deadline_kinds import DeadlineKind
    from bot.core.model import EventKind, Severity
    from tests.core.timelines import SHIPPED, T0, Timeline

    t = Timeline(Severity.SEV2)
    t.ack(14, "U_BOB")
    t.add(
        16,
        EventKind.DEADLINE_MISSED,
        actor="incident-bot",
        text="on-call engineer responded",
        extra={"deadline": "respond@1", "reached": "channel"},
    )
    planned = deadlines.plan(tuple(t.events), SHIPPED, T0 + timedelta(hours=1))
    [respond] = [d for d in planned if d.kind is DeadlineKind.RESPOND]
    assert str(respond.status) == "met" and respond.next_escalation is None
