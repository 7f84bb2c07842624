"""Insights under the faults a second outside review found: a relaxed playbook does not
rewrite a recorded miss, a severity filter keeps what the incident was, services match in any
case, a database never migrated is one line, and the digest's list, chart weeks and post hold
up (each test says the fault it caught)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind, Severity
from bot.entrypoints import cli
from bot.services.insights import Insights
from tests.core.timelines import SHIPPED, T0, Timeline
from tests.support.insights import _record, store

NOW = T0 + timedelta(days=3)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path / 'r19b.sqlite3'}"
    engine = engines.connect(url)
    migrate.upgrade(engine)
    yield url, engines.sessions(engine)
    engine.dispose()


def _one_incident(services: str) -> Timeline:
    t = Timeline(Severity.SEV2)
    t.events[0] = replace(t.events[0], extra={"services": services})
    t.ack(4, "U_BOB").add(30, EventKind.RESOLVED)
    return t


def _env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(Path(__file__).resolve().parents[1] / "playbooks"))


# --- defects ------------------------------------------------------------------------------------


def test_report_service_filter_finds_a_service_named_in_mixed_case_by_an_alert(
    db: tuple[str, sessionmaker[Session]],
) -> None:
    """bot/services/insights.py Insights.report lowercases --service, but incidents keep the
    service as declared (an Alertmanager label `service="Checkout-API"` is stored as is:
    declaring.from_alert, incidents.declare). So `incident-bot report --service Checkout-API`
    (or checkout-api) finds none of that service's incidents: the on-call lead sees
    "Incidents: 0" for a service that had outages."""
    _, sessions = db
    units = units_of_work(sessions)
    store(units, [_record(1, _one_incident("Checkout-API"))])
    insights = Insights(units, SHIPPED, lambda: NOW)

    found = insights.report(timedelta(days=7), services=["Checkout-API"])

    assert found.overall.incidents == 1


def test_report_empty_service_is_refused_not_reported_as_all_with_zero_incidents(
    db: tuple[str, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bot/entrypoints/cli.py report: `--service ""` (an unset shell variable,
    `--service "$SERVICE"`) filters on the empty name, so nothing matches, while the header
    (reports.filters) says "services: all". The reader is told that across all services
    there were 0 incidents. It should be a one-line usage error (exit 2)."""
    url, sessions = db
    store(units_of_work(sessions), [_record(1, _one_incident("checkout"))])
    _env(monkeypatch, url)

    code = cli.main(["report", "--since", "3650d", "--service", ""])
    out = capsys.readouterr().out

    assert code == 2 or ("services: all" in out and "Incidents: 1" in out)


def test_report_comma_separated_services_are_not_silently_one_unknown_name(
    db: tuple[str, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bot/entrypoints/cli.py report: `--service checkout,search` (the form most CLIs take,
    and the form the store itself keeps services in) is taken as one service named
    "checkout,search", which no incident can name (names are split on commas when read), so
    the report says 0 incidents. Either split on commas or refuse the comma (exit 2)."""
    url, sessions = db
    store(units_of_work(sessions), [_record(1, _one_incident("checkout"))])
    _env(monkeypatch, url)

    code = cli.main(["report", "--since", "3650d", "--service", "checkout,search"])
    out = capsys.readouterr().out

    assert code == 2 or "Incidents: 1" in out


def test_report_on_a_database_never_migrated_is_one_line_not_a_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bot/adapters/db/insights.py _rows runs the query on the driver's own cursor, so a
    missing table raises sqlite3.OperationalError / psycopg.errors.UndefinedTable, not an
    SQLAlchemyError: cli._database_problem does not recognise it and `incident-bot report`
    against a wrong or fresh DATABASE_URL dies with a traceback instead of one line."""
    _env(monkeypatch, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")

    try:
        code = cli.main(["report"])
    except Exception as error:
        pytest.fail(f"traceback instead of a one-line error: {error!r}")
    err = capsys.readouterr().err

    assert code != 0
    assert len(err.strip().splitlines()) == 1


def _titled(n: int, title: str) -> Timeline:
    t = Timeline(Severity.SEV2, declared_at=n)
    t.events[0] = replace(t.events[0], text=title, extra={"services": "checkout"})
    return t


def test_digest_lists_how_many_more_even_when_titles_are_long() -> None:
    """bot/adapters/slack/digest.py _incidents: 15 titles of Slack's 200-character limit make
    ~3,200 characters; blocks.section cuts the text at 3,000, so the list stops in the middle
    of the 15th title and the "…and 5 more" line is lost: the channel reads 15-ish incidents
    in a week that had 20. Shorten each title (e.g. to 150) or list fewer, so the count
    always shows."""
    from bot.adapters.slack.digest import SlackDigestWording
    from bot.core import insights
    from bot.core.insights import Scope

    records = [
        _record(n, _titled(n, (f"{n} " + "checkout is returning 500s " * 8)[:200]))
        for n in range(1, 21)
    ]
    scope = Scope(T0 - timedelta(days=1), T0 + timedelta(days=6))
    week = insights.report(records, scope)
    before = insights.report([], Scope(T0 - timedelta(days=29), T0 - timedelta(days=1)))

    message = SlackDigestWording().message(week, before)
    texts = [
        b["text"]["text"] for b in message.content if b.get("type") == "section" and "text" in b
    ]

    assert any("and 5 more" in text for text in texts)


def test_digest_chart_has_one_point_per_digest_week_not_partial_utc_weeks(
    db: tuple[str, sessionmaker[Session]],
) -> None:
    """bot/services/digest.py send draws `insights.report(5 weeks, until=due).by_period`,
    whose periods are UTC ISO weeks (Monday 00:00 UTC, core.insights.period), while the
    digest's weeks run from one send to the next in DIGEST_TIMEZONE. With DIGEST_DAY=thursday
    the chart titled "the last 5 weeks" plots 6 points, the first and last covering a few
    days each (their medians from a handful of incidents, drawn as whole weeks). Group the
    chart by the digest's own weeks (span boundaries)."""
    from datetime import time
    from zoneinfo import ZoneInfo

    from bot.adapters.slack.digest import SlackDigestWording
    from bot.core.digest import WEEKS_BEFORE, Schedule
    from bot.core.insights import Report
    from bot.services.digest import Digests
    from tests.services.fakes import FakeChat

    _, sessions = db
    units = units_of_work(sessions)
    due = datetime(2026, 3, 19, 9, tzinfo=UTC)  # a Thursday
    # One Sev2 a day for the 5 weeks before the send.
    start = due - timedelta(days=35)
    records = []
    for n in range(35):
        minute = (start - T0).total_seconds() / 60 + n * 1440 + 60
        t = Timeline(Severity.SEV2, declared_at=minute)
        t.ack(minute + 5, "U_BOB")
        records.append(_record(n + 1, t))
    store(units, records)
    drawn: list[Report] = []

    class Spy(SlackDigestWording):
        def chart(self, span: Report) -> tuple[bytes, str]:
            drawn.append(span)
            return b"\x89PNG", "t"

    schedule = Schedule(3, time(9, 0), ZoneInfo("UTC"))
    clock = lambda: due  # noqa: E731
    digests = Digests(
        units, Insights(units, SHIPPED, clock), FakeChat(), Spy(), schedule, "C0D", clock
    )
    digests.send("digest@2026-W12")

    [span] = drawn
    assert len(span.by_period) == WEEKS_BEFORE + 1, list(span.by_period)


def test_severity_filter_keeps_the_sev1_deadline_missed_before_a_downgrade() -> None:
    """bot/core/insights.py Scope.covers filters on the severity the incident has now, while
    deadline tallies are by the severity in force when each deadline opened. A Sev1 whose
    team assembled late and was then downgraded to Sev2 shows "incident team assembled
    (Sev1): 1 missed" in the plain report, but `incident-bot report --severity sev1` (what a
    lead runs to check Sev1 compliance) drops it: Sev1 looks better when filtered than
    unfiltered. Select incidents by any severity they held (or say so in the header)."""
    from bot.core import insights
    from bot.core.deadline_kinds import DeadlineKind
    from bot.core.insights import Scope

    t = Timeline(Severity.SEV1)
    t.events[0] = replace(t.events[0], extra={"services": "checkout"})
    t.commander(12, "U_BOB").join(12, "U_A").join(12, "U_B").ack(12, "U_A")
    t.severity(20, Severity.SEV2).add(60, EventKind.RESOLVED)
    record = _record(1, t)
    everything = Scope(T0 - timedelta(days=1), NOW)
    overall = insights.report([record], everything).overall
    missed = overall.deadlines[(DeadlineKind.ASSEMBLE, Severity.SEV1)].missed
    assert missed == 1  # the plain report counts it

    sev1 = insights.report([record], replace(everything, severities=frozenset({Severity.SEV1})))

    assert sev1.overall.deadlines_of(DeadlineKind.ASSEMBLE).missed == missed


def test_incidents_per_service_chart_labels_do_not_overlap_with_many_services() -> None:
    """bot/adapters/charts.py per_service draws every service as a bar in a fixed 800x360
    figure: with 60 services (a mid-size catalog, or alert labels) the names are drawn on
    top of each other and the HTML report's "Incidents per service" chart cannot be read.
    Grow the figure with the number of bars, or plot the top N and an "others" bar."""
    from bot.adapters import charts
    from bot.core import insights
    from bot.core.insights import Summary

    empty = insights.summarize([])
    by_service = {
        f"service-{i:02d}": Summary(i % 5 + 1, empty.by_severity, empty.metrics, {})
        for i in range(60)
    }
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = charts.per_service(by_service)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [
        label.get_window_extent(renderer)
        for label in figure.axes[0].get_yticklabels()
        if label.get_text()
    ]
    overlapping = sum(1 for a, b in itertools.pairwise(boxes) if a.overlaps(b))

    assert overlapping == 0


def test_digest_posted_then_crash_before_noting_it_does_not_post_twice(
    db: tuple[str, sessionmaker[Session]],
) -> None:
    """bot/services/digest.py send posts the digest, then notes the post in a separate
    transaction (facts `…:posted`). If the process dies or the database blips between the two
    (StorageUnavailable below), the timer is retried and the channel gets the same digest
    twice: the module says "a send that stopped after posting does not post again", and the
    deadline notices guard this very window with a tag looked up before saying it again
    (TimerRunner._announce / already_said). Tag the digest and look for it on a retry."""
    from datetime import time
    from zoneinfo import ZoneInfo

    from bot.adapters.slack.digest import SlackDigestWording
    from bot.core.digest import Schedule
    from bot.services.digest import Digests
    from bot.services.ports import StorageUnavailable
    from tests.services.fakes import FakeChat

    _, sessions = db
    real = units_of_work(sessions)
    due = datetime(2026, 3, 16, 9, tzinfo=UTC)
    chat = FakeChat()
    blip = {"armed": True}

    class Units:
        def __call__(self):  # type: ignore[no-untyped-def]
            unit = real()
            if blip["armed"] and chat.posted:
                blip["armed"] = False
                raise StorageUnavailable("connection reset while noting the post")
            return unit

    units = Units()
    clock = lambda: due  # noqa: E731
    digests = Digests(
        units,  # type: ignore[arg-type]
        Insights(real, SHIPPED, clock),
        chat,
        SlackDigestWording(),
        Schedule(0, time(9, 0), ZoneInfo("UTC")),
        "C0D",
        clock,
    )
    with pytest.raises(StorageUnavailable):
        digests.send("digest@2026-W12")
    digests.send("digest@2026-W12")  # the timer's retry

    assert len(chat.posted) == 1


def test_charts_of_a_report_with_no_incident_have_no_negative_counts() -> None:
    """bot/adapters/charts.py deadlines / per_service: with nothing to draw (a quiet 90 days,
    a new install, `--service` naming a quiet service), matplotlib's default limits put
    -0.045 ... 0.045 "deadlines" and "incidents" on the x axis (and 0.2, 0.4 ... "minutes"
    on the response-time chart's y axis). Anyone opening the HTML sees negative counts.
    Set xlim(0, 1) (or hide the axes) when there is no bar."""
    from bot.adapters import charts
    from bot.core import insights
    from bot.core.insights import Scope

    empty = insights.report([], Scope(T0 - timedelta(days=90), T0))
    for figure in (charts.deadlines({}), charts.per_service(empty.by_service)):
        low, _high = figure.axes[0].get_xlim()
        assert low >= 0, figure.axes[0].get_title()


def test_a_playbook_change_does_not_rewrite_past_compliance() -> None:
    """bot/core/insights.py reads deadlines as `deadlines.plan(events, policies, now)` with
    TODAY's playbooks (adapters/db/insights.Timelines.records, services.insights). A Sev2
    whose on-call answered at minute 20 missed the 15-minute deadline: the bot announced and
    recorded the miss (DEADLINE_MISSED in the timeline, the post-mortem's compliance table).
    If the team later relaxes the playbook to 30 minutes, `incident-bot report`, the digest
    and /incident stats turn that past miss into "met", while the timeline and the Grafana
    view (deadlines table, planned at the time) still say missed. PROTOCOL.md: "already met
    or missed deadlines keep their record". Count a recorded DEADLINE_MISSED as missed."""
    from bot.core import deadlines, insights, model
    from bot.core.deadline_kinds import DeadlineKind
    from bot.core.insights import Record

    t = Timeline(Severity.SEV2)
    t.add(
        15,
        EventKind.DEADLINE_MISSED,
        actor="incident-bot",
        text="on-call engineer responded",
        extra={"deadline": "respond@1", "reached": "channel"},
    )
    t.ack(20, "U_BOB").add(60, EventKind.RESOLVED)
    events = tuple(t.events)
    sev2 = SHIPPED[Severity.SEV2]
    assert sev2.response is not None
    relaxed = {
        **SHIPPED,
        Severity.SEV2: replace(sev2, response=replace(sev2.response, within=timedelta(minutes=30))),
    }
    then = insights.deadline_tallies(
        [Record(1, model.replay(events), events, deadlines.plan(events, SHIPPED, NOW))]
    )
    assert then[(DeadlineKind.RESPOND, Severity.SEV2)].missed == 1

    now = insights.deadline_tallies(
        [Record(1, model.replay(events), events, deadlines.plan(events, relaxed, NOW))]
    )

    assert now[(DeadlineKind.RESPOND, Severity.SEV2)].missed == 1
