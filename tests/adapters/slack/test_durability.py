"""Timers across crashes and replicas: `incident-bot serve` processes killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import EventRow, TimerRow
from bot.core.timers import Purpose
from bot.entrypoints.sandbox import signing
from bot.entrypoints.sandbox.slack_api import RecordedCall, SlackApiStub
from tests.adapters.slack.conftest import ANNOUNCE, PEOPLE, SECRET
from tests.support.net import free_port
from tests.support.playbooks import fast_playbooks

ROOT = Path(__file__).resolve().parents[3]
LATE_NOTICE = timedelta(seconds=1)  # the replicas' TIMER_LATE_NOTICE_SECONDS


class Replica:
    """One `incident-bot serve` process, started; ``wait_up()`` waits until it serves."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (cwd / f"replica-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=self.log,
        )

    def wait_up(self) -> None:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the replica did not come up")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture
def replicas(slack: SlackApiStub, engine: Engine, tmp_path: Path) -> Iterator[list[Replica]]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "INCIDENT_ANNOUNCE_CHANNEL": ANNOUNCE,
        "PLAYBOOKS_DIR": str(fast_playbooks(tmp_path / "books")),
        "TEMPLATES_DIR": str(ROOT / "templates"),
        "TIMER_POLL_SECONDS": "0.2",
        "TIMER_LEASE_SECONDS": "3",
        "TIMER_LATE_NOTICE_SECONDS": str(LATE_NOTICE.total_seconds()),
        "LOG_LEVEL": "WARNING",
    }
    started: list[Replica] = []

    class Starter(list[Replica]):
        def start(self, count: int = 1) -> list[Replica]:
            """``count`` replicas, started together."""
            new = [Replica(env, tmp_path) for _ in range(count)]
            started.extend(new)
            for replica in new:
                replica.wait_up()
            return new

        def stop(self) -> None:
            for replica in started:
                replica.stop()

    yield Starter()  # type: ignore[misc]
    for replica in started:
        replica.stop()


def declare(slack: SlackApiStub, replica: Replica, n: int) -> None:
    body = signing.slash_command_body(
        text=f"sev1 database {n} is down",
        user_id="U0ALICE",
        user_name=PEOPLE["U0ALICE"],
        channel_id="C0GENERAL",
        channel_name="general",
        team_id=slack.identity.team_id,
        trigger_id=f"durable-{n}",
        response_url=slack.response_url(f"declare-{n}"),
    )
    status, _, _ = signing.post(f"{replica.url}/slack/events", body, signing.FORM, SECRET)
    assert status == 200


def is_overdue(call: RecordedCall) -> bool:
    return call.ok and "Overdue:" in str(call.params.get("text"))


def overdue_messages(slack: SlackApiStub) -> list[str]:
    return [
        str(call.params.get("text"))
        for call in slack.calls_to("chat.postMessage")
        if is_overdue(call)
    ]


def unsettled(engine: Engine) -> int:
    """Timers still to fire, or held by a replica (a dead one's, until its lease runs out);
    not the misses' next escalations, minutes away."""
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(TimerRow)
                .where(
                    TimerRow.status.in_(["pending", "claimed"]),
                    TimerRow.purpose != Purpose.ESCALATE,
                )
            )
            or 0
        )


def settle(
    slack: SlackApiStub, engine: Engine, replicas: list[Replica], expected: int, timeout: float
) -> list[str]:
    """The overdue messages, once ``expected`` arrived, no timer is left to fire and every
    replica has stopped: a stopped replica sends nothing more, so a late repeat is counted too.
    """
    deadline = time.monotonic() + timeout
    slack.wait_for("chat.postMessage", expected, timeout, predicate=is_overdue)
    # Other processes write the timers: the database is all there is to watch.
    while unsettled(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    replicas.stop()  # type: ignore[attr-defined]
    return overdue_messages(slack)


def wait_until_late(engine: Engine) -> None:
    """Sleep until every deadline is due and so long past that firing it now says it is late."""
    with Session(engine) as session:
        due = session.scalar(
            select(func.max(TimerRow.fire_at)).where(TimerRow.purpose == Purpose.DUE)
        )
    assert due is not None
    late = due + LATE_NOTICE + timedelta(seconds=0.5)
    time.sleep(max(0.0, (late - datetime.now(UTC)).total_seconds()))


def test_a_sigkill_before_the_deadline_loses_nothing_and_repeats_nothing(
    slack: SlackApiStub, replicas: list[Replica], engine: Engine
) -> None:
    [first] = replicas.start()  # type: ignore[attr-defined]
    declare(slack, first, 1)
    slack.wait_for_response("declare-1", timeout=10)
    first.kill()  # the team-assembled deadline is 3 s away, the first update 6 s
    wait_until_late(engine)  # a clock time, not an event: no replica runs to tell of it
    replicas.start()  # type: ignore[attr-defined]
    overdue = settle(slack, engine, replicas, expected=2, timeout=15)
    assert len(overdue) == 2, overdue
    assert sum("Overdue: incident team assembled" in text for text in overdue) == 1
    assert sum("Overdue: status update to stakeholders" in text for text in overdue) == 1
    assert all("late: I was not running" in text for text in overdue), overdue
    with Session(engine) as session:
        missed = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.kind == "deadline_missed")
        )
    assert missed == 2


def test_two_replicas_fire_each_timer_once_when_one_dies(
    slack: SlackApiStub, replicas: list[Replica], engine: Engine
) -> None:
    one, two = replicas.start(2)  # type: ignore[attr-defined]
    incidents = 6
    for n in range(incidents):
        declare(slack, one if n % 2 else two, n)
    for n in range(incidents):
        slack.wait_for_response(f"declare-{n}", timeout=15)
    time.sleep(2.9)  # amid the reminders and the first due times
    one.kill()
    overdue = settle(slack, engine, replicas, expected=incidents * 2, timeout=30)
    assert len(overdue) == incidents * 2, overdue
    left = unsettled(engine)
    with Session(engine) as session:
        missed = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.kind == "deadline_missed")
        )
    assert (left, missed) == (0, incidents * 2)
