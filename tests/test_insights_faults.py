"""Insights under the faults an outside review found: the worst impact is not a recovery's
zero, a digest whose chart Slack refuses still comes every week, and periods too long to
mean anything are one-line usage errors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.postmortem import worst
from bot.adapters.slack.digest import SlackDigestWording
from bot.core.digest import WEEK, Schedule
from bot.entrypoints.cli import main
from bot.services.digest import Digests
from bot.services.insights import Insights
from bot.services.records import StatusUpdate
from bot.services.timers import TimerRunner
from tests.core.timelines import SHIPPED
from tests.services.fakes import FakeChat

ROOT = Path.cwd()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def units(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = engines.connect(f"sqlite:///{tmp_path / 'r19.sqlite3'}")
    migrate.upgrade(engine)
    yield units_of_work(engines.sessions(engine))
    engine.dispose()


def _update(minute: int, affected: str) -> StatusUpdate:
    at = datetime(2026, 3, 14, 3, minute, tzinfo=UTC)
    return StatusUpdate(at, "U_A", "checkout errors", affected, "rolling back", WEEK, "")


def test_worst_impact_is_not_a_recovered_zero_percent() -> None:
    """postmortem.worst / _extent: a share of traffic always outranks a count of users, so the
    recovery update "0% of traffic" is the draft's worst impact over "5,000 users" at 10:00
    -- the very "0% affected" mislead issue 19 asked to fix."""
    updates = [_update(10, "5,000 users"), _update(40, "0% of traffic")]

    assert worst(updates) is updates[0]


def test_a_huge_since_is_a_one_line_usage_error(
    units: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """cli.report: --since 100000000d parses, then `now - since` raises OverflowError (and
    99999999999d raises it inside durations.parse): a traceback, not exit 2."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'r19.sqlite3'}")
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    for since in ("100000000d", "99999999999d"):
        assert main(["report", "--since", since]) == 2
        assert "--since" in capsys.readouterr().err


def test_stats_with_a_huge_period_is_a_usage_error() -> None:
    """commands.stats catches DurationError only; durations.parse raises OverflowError."""
    from bot.adapters.slack import commands
    from bot.adapters.slack.verbs import VERBS

    verb = next(v for v in VERBS if v.name == "stats")
    with pytest.raises(commands.UsageError):
        commands.stats(verb, "99999999999d")


def test_digest_keeps_coming_while_slack_refuses_the_upload(units) -> None:  # type: ignore[no-untyped-def]
    """services.digest.Digests.send arms next week's digest only after the chart's upload;
    an upload Slack keeps refusing (no files:write scope) retries this week's timer forever and
    no later week's digest is ever posted (until a restart arms one)."""
    due = datetime(2026, 3, 16, 9, tzinfo=UTC)
    clock = Clock(due - timedelta(days=1))
    chat = FakeChat()
    chat.fail("upload", times=1000)
    digests = Digests(
        units,
        Insights(units, SHIPPED, clock),
        chat,
        SlackDigestWording(),
        Schedule(0, time(9), ZoneInfo("UTC")),
        "C0DIGEST",
        clock,
    )
    digests.arm()
    runner = TimerRunner(units, None, None, owner="a", digest=digests.send)  # type: ignore[arg-type]
    for day in range(0, 15):
        clock.now = due + timedelta(days=day, minutes=1)
        runner.tick(clock.now)

    posts = [c for c in chat.calls if c[0] == "post"]
    assert len(posts) == 3  # the digests of 03-16, 03-23 and 03-30
