"""Timers at scale: a burst of overdue notices against its floor, then 10,000 open incidents
with their deadlines, a restart, and firing lateness.

The burst: ``--burst`` incidents (500) declared at once, whose overdue notices fall due in the
same second, fired by the real ``TimerRunner`` (8 in parallel) through the real Slack adapter
(``DeadlineAnnouncer`` on ``SlackChat``) against the Slack stand-in over HTTP (in a process of
its own, as Slack is). Lateness is from the instant they fall due (the tick starts then: the
ticker's poll is not counted) to the stand-in receiving each chat.postMessage. The floor, in the
same run: a plain slack_sdk WebClient posting the same messages with the same number of threads.
Also counted: transactions and statements per firing (SQLAlchemy events).

Prints the time to schedule the incidents (declared through the real service, timers and all),
resident memory, the start-up recovery time after a restart (reconcile plus the first tick that
fires what fell due while the bot was down), and the lateness of firings (actual minus due,
p50/p99) with the APScheduler ticker on the real clock. Slack is a no-op announcer, so the
figures are the scheduler's own.

    python -m benchmarks.timers [--burst 500] [--incidents 10000] [--live 600] [--database-url URL]

``--incidents 0`` runs the burst only. With ``--database-url``, the database should be empty.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, event

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.pagerduty import PagerDuty
from bot.adapters.slack import gateway as slack
from bot.adapters.slack.wording.deadlines import SlackDeadlineWording
from bot.adapters.templates import Templates
from bot.core.deadlines import Deadline, Escalation
from bot.core.model import Severity
from bot.core.timers import Purpose
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.entrypoints.ticker import Ticker
from bot.playbooks import loader
from bot.services.announcer import DeadlineAnnouncer
from bot.services.delivery import Delivery, Reach
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.services.timers import TimerRunner

ROOT = Path(__file__).resolve().parents[1]


class Stopwatch:
    """Records how late each overdue announcement is, on the real clock."""

    def __init__(self) -> None:
        self.firings: list[tuple[datetime, float]] = []  # (due, seconds late)
        self.lock = threading.Lock()

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        with self.lock:
            late = (datetime.now(UTC) - deadline.due_at).total_seconds()
            self.firings.append((deadline.due_at, late))
        return Delivery(Reach.ANNOUNCEMENT_CHANNEL, tag)

    def escalate(
        self,
        view: IncidentView,
        deadline: Deadline,
        escalation: Escalation,
        now: datetime,
        tag: str,
    ) -> Delivery:
        return Delivery(Reach.ANNOUNCEMENT_CHANNEL, tag)

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> Delivery:
        return Delivery(Reach.ANNOUNCEMENT_CHANNEL, tag)

    def already_said(self, view: IncidentView, tag: str) -> str | None:
        return None


def policies(live_window: timedelta) -> dict[Severity, object]:
    """Sev1: the shipped clocks stretched to hours (they never fall due while measuring);
    Sev2: a response deadline of ``live_window`` (the firings whose lateness is measured)."""
    shipped = loader.load(ROOT / "playbooks").policies
    sev1, sev2 = shipped[Severity.SEV1], shipped[Severity.SEV2]
    assert sev1.response and sev1.status_updates and sev2.response
    slow = replace(
        sev1,
        response=replace(sev1.response, within=timedelta(hours=10)),
        status_updates=replace(sev1.status_updates, first_within=timedelta(hours=20)),
    )
    fast = replace(
        sev2, response=replace(sev2.response, within=live_window, reminders=()), status_updates=None
    )
    return {**shipped, Severity.SEV1: slow, Severity.SEV2: fast}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=500, help="notices due in one second")
    parser.add_argument("--parallel", type=int, default=8, help="firings (and floor threads)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=600, help="incidents whose firing is timed")
    parser.add_argument("--window", type=float, default=40.0, help="seconds they fall due over")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.burst:
            url = args.database_url or f"sqlite:///{scratch}/burst.sqlite3"
            burst(url, args.burst, args.parallel)
        if args.incidents:
            url = args.database_url or f"sqlite:///{scratch}/timers.sqlite3"
            run(url, args.incidents, args.live, timedelta(seconds=args.window))


ANNOUNCE = "C0ANNOUNCE"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    time: float  # time.time() when the stand-in answered it


def _serve(conn: Connection) -> None:
    """The Slack stand-in in its own process (as Slack is): answers ``calls since n``."""
    stub = SlackApiStub().start()
    stub.add_channel(ANNOUNCE, "incidents", members=[stub.identity.bot_user_id])
    conn.send((stub.token, stub.base_url))
    while (since := conn.recv()) is not None:
        conn.send([Call(c.method, c.params, c.time) for c in stub.calls[since:]])
    stub.stop()


class StandIn:
    """The Slack stand-in (``SlackApiStub``) over HTTP, served by a child process, so that
    the bot's and the floor's threads share no interpreter lock with it."""

    def __init__(self) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child,), daemon=True
        )
        self._process.start()
        self.token, self.base_url = self._conn.recv()

    def calls(self, since: int = 0) -> list[Call]:
        self._conn.send(since)
        calls: list[Call] = self._conn.recv()
        return calls

    def stop(self) -> None:
        self._conn.send(None)
        self._process.join(10)


class Statements:
    """Counts transactions and statements on ``engine`` while ``counting``."""

    def __init__(self, engine: Engine) -> None:
        self.transactions = 0
        self.statements = 0
        self.counting = False
        self.lock = threading.Lock()
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)

    def _begin(self, *_: Any) -> None:
        if self.counting:
            with self.lock:
                self.transactions += 1

    def _statement(self, *_: Any) -> None:
        if self.counting:
            with self.lock:
                self.statements += 1


def burst(url: str, count: int, parallel: int) -> None:
    """``count`` overdue notices due in the same second: the bot against the floor."""
    engine = engines.connect(url)
    migrate.upgrade(engine)
    sessions = engines.sessions(engine)
    playbooks = loader.load(ROOT / "playbooks")
    sev2 = playbooks.policies[Severity.SEV2]
    assert sev2.response
    # Only the response deadline: no reminders, no status updates (their timers stay out).
    only_due = replace(sev2, response=replace(sev2.response, reminders=()), status_updates=None)
    rules = {**playbooks.policies, Severity.SEV2: only_due}
    declared = datetime.now(UTC)
    service = IncidentService(units_of_work(sessions), rules, lambda: declared)
    service.reconcile()
    started = time.perf_counter()
    ids = [
        service.declare(severity=Severity.SEV2, title=f"storm {n}", by="U0BENCH").view.id
        for n in range(count)
    ]
    took = time.perf_counter() - started
    due = {d.due_at for i in ids for d in service.get(i, declared).deadlines}
    assert len(due) == 1, due
    # A timer fires at its deadline's due time rounded up to the millisecond.
    first = due.pop() + timedelta(milliseconds=1)
    print(f"burst: {count} Sev2 incidents declared at once in {took:.1f} s, each due at {first}")

    stub = StandIn()
    try:
        web = slack.client(stub.token, stub.base_url)
        announcer = DeadlineAnnouncer(
            slack.SlackChat(slack.SlackGateway(web)),
            SlackDeadlineWording(Templates(ROOT / "templates")),
            playbooks,
            PagerDuty("http://127.0.0.1:9/unused"),
            ANNOUNCE,
        )
        runner = TimerRunner(
            units_of_work(sessions), service, announcer, owner="burst", parallel=parallel
        )
        # Their rooms' set-up timers (nothing to set up here) fire first, apart.
        setups = runner.tick(declared + timedelta(minutes=1))
        assert all(f.timer.purpose is Purpose.SETUP for f in setups)
        counted = Statements(engine)
        counted.counting = True
        # The tick runs at the instant they fall due: the bot's clock reads ``first`` then.
        before = len(stub.calls())
        zero = time.time()
        fired = runner.tick(first)
        assert len(fired) == count, f"{len(fired)} of {count} fired"
        ticked = time.time() - zero
        counted.counting = False
        calls = stub.calls(before)
        posts = [c for c in calls if c.method == "chat.postMessage"]
        others = sorted({c.method for c in calls} - {"chat.postMessage"})
        outcomes = sorted({f.outcome for f in fired})
        bot = [c.time - zero for c in posts]
        print(
            f"  bot: {len(fired)} firings ({', '.join(outcomes)}), {len(posts)} notices posted"
            f"{' (also ' + ', '.join(others) + ')' if others else ''} in {ticked:.2f} s;"
            f" {counted.transactions / max(1, len(fired)):.2f} transactions and"
            f" {counted.statements / max(1, len(fired)):.1f} statements per firing"
        )

        # The floor: the same messages from a plain client with the same number of threads.
        plain = WebClient(token=stub.token, base_url=stub.base_url)
        bodies = [dict(c.params) for c in posts]
        for body in bodies:
            for key, value in body.items():
                if isinstance(value, str) and key in ("blocks", "metadata", "attachments"):
                    body[key] = json.loads(value)
        before = len(stub.calls())
        zero = time.time()
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(lambda body: plain.api_call("chat.postMessage", json=body), bodies))
        floor = [c.time - zero for c in stub.calls(before) if c.method == "chat.postMessage"]
    finally:
        stub.stop()
        engine.dispose()
    ms = 1000
    for name, values in (("bot", bot), ("floor", floor)):
        print(
            f"  {name:>5}: p50 {statistics.median(values) * ms:6.0f} ms, p99 "
            f"{percentile(values, 99) * ms:6.0f} ms, last {max(values) * ms:6.0f} ms"
        )
    print(
        f"  ratio: p50 {statistics.median(bot) / statistics.median(floor):.1f}x, "
        f"p99 {percentile(bot, 99) / percentile(floor, 99):.1f}x (goal: within 2x)"
    )


def run(url: str, incidents: int, live: int, window: timedelta) -> None:
    engine = engines.connect(url)
    migrate.upgrade(engine)
    sessions = engines.sessions(engine)
    rules = policies(window)
    moment = datetime.now(UTC)
    service = IncidentService(units_of_work(sessions), rules, lambda: moment)  # type: ignore[arg-type]
    service.reconcile()  # the bot's first start: records which playbooks plan the timers

    started = time.perf_counter()
    for n in range(incidents):
        declared = service.declare(severity=Severity.SEV1, title=f"incident {n}", by="U0BENCH")
        service.setup_finished(declared.view.id)  # its room set up, as a declaration's is
    scheduled = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{incidents} incidents scheduled in {scheduled:.1f} s "
        f"({incidents / scheduled:.0f}/s), {incidents * 4} timer rows"
    )
    print(f"resident memory after scheduling: {rss:.0f} MB")

    # Live incidents fall due over the next window; a third of them while the bot is "down".
    rng = random.Random(7)
    base = datetime.now(UTC)
    for n in range(live):
        moment = base - window + timedelta(seconds=rng.uniform(0, window.total_seconds()))
        declared = service.declare(severity=Severity.SEV2, title=f"live {n}", by="U0BENCH")
        service.setup_finished(declared.view.id)
    downtime = window.total_seconds() / 3
    time.sleep(downtime)

    # The restart: a new service, runner and ticker on the same database.
    watch = Stopwatch()
    restarted = IncidentService(units_of_work(sessions), rules, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    runner = TimerRunner(units_of_work(sessions), restarted, watch, owner="bench")
    started = time.perf_counter()
    reconciled = restarted.reconcile()
    reconciling = time.perf_counter() - started
    first = runner.tick(datetime.now(UTC))
    recovery = time.perf_counter() - started
    print(
        f"start-up recovery: {recovery:.2f} s (reconcile {reconciled} active incidents "
        f"{reconciling:.2f} s, then {len(first)} overdue firings)"
    )

    ticker = Ticker(runner, lambda: datetime.now(UTC), poll=timedelta(seconds=1))
    running_since = datetime.now(UTC)
    ticker.start()
    time.sleep(window.total_seconds() - downtime + 3)
    ticker.stop()
    # Steady state: deadlines that fell due while the ticker was running.
    on_time = [late for due, late in watch.firings if due >= running_since]
    caught_up = len(watch.firings) - len(on_time)
    print(
        f"{len(watch.firings)} of {live} live deadlines fired, each once "
        f"({caught_up} were due before the ticker ran, during the downtime and recovery)"
    )
    ms = 1000
    if not on_time:  # every live deadline fell due before the ticker ran (a short --window)
        print("lateness on the running ticker: none fell due while it ran (widen --window)")
    else:
        print(
            f"lateness on the running ticker ({len(on_time)} firings): p50 "
            f"{statistics.median(on_time) * ms:.0f} ms, p99 {percentile(on_time, 99) * ms:.0f}"
            f" ms, max {max(on_time) * ms:.0f} ms"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {rss:.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
