"""Insights under the faults a third outside review found: a digest day moved across weeks
sends once, a recorded miss keeps the due time it missed, services group in any case, what a
terminal or a chart would run is shown as text, a cut title keeps its overrides closed, and a
retried digest uploads its chart once (each test says the fault it caught)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.unit_of_work import units_of_work
from tests.conftest import engine, migrated_engine, sessions  # noqa: F401  (fixtures)
from tests.services.fakes import FakeChat
from tests.services.test_digest_schedule import (
    Bot,
    Clock,
    declared,
    pending_digests,
    weekly,
)

SUNDAY_W11 = datetime(2026, 3, 15, tzinfo=UTC)  # the last day of ISO week 11
MONDAY_W12 = datetime(2026, 3, 16, tzinfo=UTC)


@pytest.mark.db
def test_changing_digest_day_from_sunday_to_monday_does_not_leave_the_old_send(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """bot/services/digest.py Digests.arm/_arm (bot/core/digest.py key): a schedule change is
    said to *move* the week's send, but arm() only arms next_after(now) under the new
    schedule and never touches the send already armed under the old one when the two fall in
    different ISO weeks. Sundays 23:00 -> Mondays 09:00 (changed on a Wednesday): the old
    week-12 timer still fires on Sunday 23:00 and posts a digest telling Sunday 23:00 to
    Monday 09:00 *of the week before* (ten hours, six days stale), and ten hours later the
    Monday digest posts again. The on-call channel gets two digests in one night, one of
    them nonsense. Same root cause for wednesday->monday: the old Wednesday send still
    posts on Wednesday."""
    units = units_of_work(sessions)
    declared(units, MONDAY_W12 + timedelta(days=1))
    chat = FakeChat()
    clock = Clock(SUNDAY_W11 - timedelta(days=1))
    sunday = Bot(units, chat, clock, weekly(23, weekday=6), "old")
    sunday.digests.arm()
    sunday.at(SUNDAY_W11 + timedelta(hours=23))  # week 11's digest, at its time
    assert len(chat.posted) == 1

    clock.now = MONDAY_W12 + timedelta(days=2)  # Wednesday: restarted with DIGEST_DAY=monday
    monday = Bot(units, chat, clock, weekly(9, weekday=0), "new")
    monday.digests.arm()

    # the schedule was moved: only the Monday send is left
    assert [key for key, _ in pending_digests(sessions)] == ["digest@2026-W13"]
    monday.at(SUNDAY_W11 + timedelta(days=7, hours=23))  # the old Sunday time
    monday.at(MONDAY_W12 + timedelta(days=7, hours=9))  # the new Monday time
    assert len(chat.posted) == 2, [p.text for p in chat.posted]


def test_a_misspelt_digest_day_is_said_in_words_not_as_a_regex() -> None:
    """bot/entrypoints/settings.py load/_SAY_INSTEAD: DIGEST_DAY's pattern has no entry, so
    `DIGEST_DAY=Mon` (or `lundi`) fails with "String should match pattern
    '^(?i:monday|tuesday|...)$'": the operator setting up the digest is shown a regular
    expression where every other DIGEST_* setting says what to type (DIGEST_TIME: "a time of
    day, like 09:00"). Fix: an entry like "a day of the week in English, like monday"."""
    from bot.entrypoints import settings

    with pytest.raises(settings.ConfigurationError) as refused:
        settings.load(digest_day="Mon")
    said = str(refused.value)
    assert said.startswith("DIGEST_DAY: ")
    assert "(?i:" not in said and "pattern" not in said, said


def test_a_recorded_miss_under_a_relaxed_playbook_keeps_the_due_time_it_missed() -> None:
    """bot/core/deadlines.py _settle: a recorded DEADLINE_MISSED now stays missed when the
    playbook is relaxed later, but the deadline's ``due_at`` is still recomputed from today's
    playbook. A Sev2 answered at minute 20 (miss recorded at 15; playbook later 30 min) is
    shown on the incident card as ":x: On-call engineer responded: due <T0+30m>, *missed*" -
    missed, with a due time ten minutes *after* the moment it was met and no "met N late"
    (late_by is None since met_at <= due_at); the post-mortem's compliance row says the same
    (late "-", status missed). The on-call engineer reading the record cannot tell what was
    missed or by how much. Fix: settle a recorded miss against the due time the
    DEADLINE_MISSED event recorded (its extra 'due_at', which the timer writes)."""
    from dataclasses import replace

    from bot.adapters.slack.blocks import deadline_line
    from bot.core import deadlines
    from bot.core.deadline_kinds import DeadlineKind
    from bot.core.model import EventKind, Severity
    from tests.core.timelines import SHIPPED, T0, Timeline

    t = Timeline(Severity.SEV2)
    t.add(
        15,
        EventKind.DEADLINE_MISSED,
        actor="incident-bot",
        text="on-call engineer responded",
        extra={
            "deadline": "respond@1",
            "reached": "channel",
            "due_at": (T0 + timedelta(minutes=15)).isoformat(),
            "announced_late_by": "0s",
        },
    )
    t.ack(20, "U_BOB").add(60, EventKind.RESOLVED)
    sev2 = SHIPPED[Severity.SEV2]
    assert sev2.response is not None
    relaxed = {
        **SHIPPED,
        Severity.SEV2: replace(sev2, response=replace(sev2.response, within=timedelta(minutes=30))),
    }

    planned = deadlines.plan(tuple(t.events), relaxed, T0 + timedelta(days=1))
    [respond] = [d for d in planned if d.kind is DeadlineKind.RESPOND]

    assert str(respond.status) == "missed"
    assert respond.met_at is not None and respond.due_at < respond.met_at, (
        f"missed, yet due {respond.due_at:%H:%M} after it was met at {respond.met_at:%H:%M}: "
        + deadline_line(respond)
    )
    assert respond.late_by is not None


def test_by_service_groups_a_service_once_whatever_its_case(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """bot/core/insights.py groups_of (Grouping.SERVICE): --service now matches any case
    (Scope.covers lower-cases), but the By-service breakdown still groups by the name as
    stored. `incident-bot report --service checkout-api` over an incident declared in Slack
    for `checkout-api` and one an Alertmanager label named `Checkout-API` says
    "services: checkout-api" in its header and then shows two rows, each with half the
    incidents and their own medians; the per-service chart draws two bars. The filter and the
    breakdown disagree on what one service is. Fix: group by s.lower() (or by the catalog's
    spelling)."""
    from dataclasses import replace

    from bot.core.model import EventKind, Severity
    from bot.services.insights import Insights
    from tests.core.timelines import SHIPPED, T0, Timeline
    from tests.support.insights import _record, store

    def one(services: str, minutes: float) -> Timeline:
        t = Timeline(Severity.SEV2, minutes)
        t.events[0] = replace(t.events[0], extra={"services": services})
        t.ack(minutes + 4, "U_BOB").add(minutes + 30, EventKind.RESOLVED)
        return t

    units = units_of_work(sessions)
    store(units, [_record(1, one("checkout-api", 0)), _record(2, one("Checkout-API", 60))])
    insights = Insights(units, SHIPPED, lambda: T0 + timedelta(days=3))

    found = insights.report(timedelta(days=7), services=["checkout-api"])

    assert found.overall.incidents == 2
    assert len(found.by_service) == 1, sorted(found.by_service)


def test_text_report_does_not_print_a_services_escape_sequences_or_open_overrides(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """bot/adapters/reports.py text (_group_table): service names come from Alertmanager
    labels as they are (services.declaring from_alert: ``(alert.service,)``), never through
    the Slack door where bidi.closed and the NUL filter run, and `incident-bot report` prints
    them raw to the operator's terminal. A label value holding ESC sequences (an OSC 52
    clipboard write, a screen clear) is executed by the terminal of whoever runs the report;
    one holding an unclosed U+202E reverses the rest of its table row (the counts and
    medians) in a bidi-aware terminal. The CSV got its =+-@ guard; the text format has none.
    Fix: show C0/C1 controls as escapes (repr-style) and bidi.closed() each cell."""
    from dataclasses import replace

    from bot.adapters import reports
    from bot.core.model import EventKind, Severity
    from bot.services.insights import Insights
    from tests.core.timelines import SHIPPED, T0, Timeline
    from tests.support.insights import _record, store

    t = Timeline(Severity.SEV2)
    t.events[0] = replace(
        t.events[0], extra={"services": "pay\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eout"}
    )
    t.ack(4, "U_BOB").add(30, EventKind.RESOLVED)
    units = units_of_work(sessions)
    store(units, [_record(1, t)])
    shown = reports.text(
        Insights(units, SHIPPED, lambda: T0 + timedelta(days=3)).report(timedelta(days=7))
    )

    [row] = [line for line in shown.splitlines() if line.lstrip().startswith("pay")]
    assert "\x1b" not in shown and "\x07" not in shown, repr(row)
    assert row.count("\u202e") <= row.count("\u202c"), repr(row)


def test_a_long_title_typed_with_an_override_is_stored_closed() -> None:
    """bot/adapters/slack/commands.py shortened (used by handlers.declare_now): the door
    (inbound._without_nul -> bidi.closed) closes an override typed in `/incident sev1 ...`
    by appending U+202C at the END of the command text; a title over TITLE_LIMIT is then cut
    by commands.shortened, which drops that closer and, unlike mrkdwn.shortened, does not
    bidi.cut_closed what it keeps. The incident's stored title holds an open RIGHT-TO-LEFT
    OVERRIDE, and every place that puts bot words after the title without mrkdwn.escape
    reverses them: the PagerDuty page summary (services/announcer.py: "Sev1 incident 1
    (<title>): incident team assembled overdue" reads "deudrevo delbmessa maet..." on the
    on-call's phone), the audit/JSON exports, the post-mortem file. Fix: bidi.cut_closed in
    commands.shortened (and bidi.closed on alert titles in declaring.from_alert)."""
    from bot.adapters.slack import commands, inbound
    from bot.core import bidi

    typed = "sev1 checkout \u202e" + "checkout down " * 16
    text = inbound._without_nul({"text": typed})["text"]
    assert bidi._unclosed(text) == []  # the door closed it

    title = commands.shortened(text.removeprefix("sev1 checkout "))

    assert title != text  # cut
    assert bidi._unclosed(title) == [], repr(title[:3] + "..." + title[-12:])


@pytest.mark.db
def test_a_digest_retried_after_its_chart_was_uploaded_does_not_upload_it_again(
    sessions: sessionmaker[Session],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bot/services/digest.py Digests.send: the module says a send that stopped after posting
    "only uploads the chart it owes", but nothing notes the upload: the chart is uploaded,
    then the `:sent` fact is written; a database blip there (the same blip _post guards the
    message against) makes the retry upload the same chart again, so the digest channel gets
    two identical "Median response times" images. Fix: note the upload (a fact, or the
    `:sent` fact written before uploading and the upload tried only once)."""
    from bot.adapters.db.facts import Facts
    from bot.services.ports import StorageUnavailable

    real_put = Facts.put
    blips: list[str] = []

    def flaky(self: Facts, key: str, *args: object, **kwargs: object) -> object:
        if key.endswith(":sent") and not blips:
            blips.append(key)
            raise StorageUnavailable("the database blipped")
        return real_put(self, key, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Facts, "put", flaky)
    units = units_of_work(sessions)
    chat = FakeChat()
    clock = Clock(MONDAY_W12 - timedelta(days=1))
    bot = Bot(units, chat, clock, weekly(9), "a")
    bot.digests.arm()

    bot.at(MONDAY_W12 + timedelta(hours=9))  # posts, uploads, blips writing :sent
    bot.at(MONDAY_W12 + timedelta(hours=9, minutes=5))  # the retry

    assert blips and len(chat.posted) == 1
    uploads = [c for c in chat.calls if c[0] == "upload"]
    assert len(uploads) == 1, f"{len(uploads)} uploads of the week's chart"


def test_html_report_survives_a_service_name_with_dollar_signs(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """bot/adapters/charts.py per_service: service names (Alertmanager labels, stored as they
    are) are matplotlib tick labels, and matplotlib parses text between two `$` as mathtext.
    One incident whose alert named the service `a$x^$b` makes `incident-bot report --format
    html` fail for the whole period (ValueError: ParseSyntaxException from the chart), so no
    one gets the HTML report for 90 days; `pay$ments$` is drawn as "pay" plus italic
    "ments". Fix: escape `$` in drawn labels (name.replace("$", r"\\$")) or
    Text(..., parse_math=False)."""
    from dataclasses import replace
    from pathlib import Path

    from bot.adapters.db import engine as engines
    from bot.adapters.db import migrate
    from bot.core.model import EventKind, Severity
    from bot.entrypoints import cli
    from tests.core.timelines import Timeline
    from tests.support.insights import _record, store

    url = f"sqlite:///{tmp_path / 'r19c.sqlite3'}"
    db = engines.connect(url)
    migrate.upgrade(db)
    t = Timeline(Severity.SEV2)
    t.events[0] = replace(t.events[0], extra={"services": "a$x^$b"})
    t.ack(4, "U_BOB").add(30, EventKind.RESOLVED)
    store(units_of_work(engines.sessions(db)), [_record(1, t)])
    db.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(Path(__file__).resolve().parents[1] / "playbooks"))
    out = tmp_path / "report.html"

    code = cli.main(["report", "--since", "3650d", "--format", "html", "--output", str(out)])

    assert code == 0, capsys.readouterr().err[-400:]
    assert "a$x^$b" in out.read_text()
