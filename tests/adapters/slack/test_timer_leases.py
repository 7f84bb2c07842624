"""Two replicas' timers on one database while Slack rate-limits: a notice is posted once.

Each replica is the bot as ``serve`` builds it (``app.build``), its ticker not started: the
test ticks both at times it chooses. Slack is the stand-in over HTTP; it answers the overdue
notice's first post with a 429 whose Retry-After outlasts the timer lease. Replica A really
waits it out (2 to 3 seconds); replica B ticks while A waits, from the test's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import EventRow, TimerRow
from bot.core.model import Severity
from bot.core.timers import MISSED_AFTER
from bot.entrypoints import app
from bot.entrypoints.sandbox.slack_api import RecordedCall, SlackApiStub
from bot.services.timers import Fired
from tests.adapters.slack.conftest import ANNOUNCE, bot_settings
from tests.core.timelines import T0
from tests.services.conftest import FixedClock

LEASE_SECONDS = 1
RETRY_AFTER = 2  # seconds, longer than the lease
REMINDED = T0 + timedelta(minutes=3)  # sev1: the team-assembled reminder ...
DUE = T0 + timedelta(minutes=5) + MISSED_AFTER  # ... and its overdue notice


@dataclass
class Waiting:
    """Replica A's way of waiting: it says it is waiting, lets the test act, then sleeps."""

    waiting: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.waiting.set()
        assert self.go_on.wait(10)
        time.sleep(seconds)


@dataclass
class Replicas:
    a: app.Runtime
    b: app.Runtime
    a_waits: Waiting

    def fire_with_b_ticking_during_as_wait(self, b_at: datetime) -> tuple[list[Fired], ...]:
        """A fires the notice, Slack asks it to wait; meanwhile B ticks at ``b_at``."""
        with ThreadPoolExecutor(1) as pool:
            by_a = pool.submit(self.a.runner.tick, DUE)
            assert self.a_waits.waiting.wait(10)
            by_b = self.b.runner.tick(b_at)
            self.a_waits.go_on.set()
            return by_a.result(timeout=30), by_b


@pytest.fixture
def replicas(slack: SlackApiStub, engine: Engine, repo_root: Path) -> Iterator[Replicas]:
    settings = bot_settings(slack, engine, repo_root, timer_lease_seconds=LEASE_SECONDS)
    clock = FixedClock(T0)
    waits = Waiting()
    a = app.build(settings, clock, app.Wiring(slack_sleep=waits))
    b = app.build(settings, clock)
    assert a.runner.owner != b.runner.owner
    try:
        declared = a.service.declare(severity=Severity.SEV1, title="checkout 500s", by="U0ALICE")
        a.service.setup_finished(declared.view.id)  # only its deadlines are at stake here
        clock.now = REMINDED
        assert [f.outcome for f in a.runner.tick(REMINDED)] == ["fired"]
        clock.now = DUE
        slack.rate_limit_next("chat.postMessage", retry_after=RETRY_AFTER)
        yield Replicas(a, b, waits)
    finally:
        a.close()
        b.close()


def overdue_posts(slack: SlackApiStub) -> list[tuple[int, str]]:
    def is_overdue(call: RecordedCall) -> bool:
        return "Overdue:" in str(call.params.get("text"))

    calls = slack.calls_to("chat.postMessage")
    return [(c.status, str(c.params["channel"])) for c in calls if is_overdue(c)]


def recorded(engine: Engine) -> tuple[int, str, str | None]:
    """Misses in the timeline; the notice's timer's status and holder."""
    with Session(engine) as session:
        missed = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.kind == "deadline_missed")
        )
        timer = session.scalars(select(TimerRow).where(TimerRow.key == "assemble@1:due")).one()
        return missed or 0, timer.status, timer.claimed_by


def test_a_wait_past_the_lease_keeps_the_timer_and_the_notice_is_posted_once(
    replicas: Replicas, slack: SlackApiStub, engine: Engine
) -> None:
    b_at = DUE + timedelta(seconds=LEASE_SECONDS + 0.5)  # A's lease as first claimed is over
    by_a, by_b = replicas.fire_with_b_ticking_during_as_wait(b_at)
    assert by_b == []  # A renewed its claim before waiting
    assert [f.outcome for f in by_a] == ["fired"]
    assert RETRY_AFTER <= replicas.a_waits.waits[0] < RETRY_AFTER + 1
    assert overdue_posts(slack) == [(429, ANNOUNCE), (200, ANNOUNCE)]
    assert recorded(engine) == (1, "fired", replicas.a.runner.owner)
    later = replicas.b.runner.tick(DUE + timedelta(minutes=1))
    # Only the channel this Sev1 still lacks is owed then (its set-up timer), no notice again.
    assert [f.timer.key for f in later] == ["setup"]


def test_a_timer_taken_over_during_the_wait_is_not_posted_again(
    replicas: Replicas, slack: SlackApiStub, engine: Engine
) -> None:
    b_at = DUE + timedelta(minutes=1)  # A was gone longer than it said it would be
    by_a, by_b = replicas.fire_with_b_ticking_during_as_wait(b_at)
    assert [f.outcome for f in by_b] == ["fired"]  # B took the timer over and said it
    assert [f.outcome for f in by_a] == ["skipped"]  # A, back, found it gone: no retry
    assert overdue_posts(slack) == [(429, ANNOUNCE), (200, ANNOUNCE)]
    assert recorded(engine) == (1, "fired", replicas.b.runner.owner)
