"""Timers at scale: 10,000 open incidents with their deadlines, a restart, and firing lateness.

Prints the time to schedule the incidents (declared through the real service, timers and all),
resident memory, the start-up recovery time after a restart (reconcile plus the first tick that
fires what fell due while the bot was down), and the lateness of firings (actual minus due,
p50/p99) with the APScheduler ticker on the real clock. Slack is a no-op announcer, so the
figures are the scheduler's own.

    python -m benchmarks.timers [--incidents 10000] [--live 600] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.deadlines import Deadline
from bot.core.model import Severity
from bot.entrypoints.ticker import Ticker
from bot.playbooks import loader
from bot.services.incidents import IncidentService, IncidentView
from bot.services.timers import TimerRunner

ROOT = Path(__file__).resolve().parents[1]


class Stopwatch:
    """Records how late each overdue announcement is, on the real clock."""

    def __init__(self) -> None:
        self.firings: list[tuple[datetime, float]] = []  # (due, seconds late)
        self.lock = threading.Lock()

    def overdue(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        with self.lock:
            late = (datetime.now(UTC) - deadline.due_at).total_seconds()
            self.firings.append((deadline.due_at, late))
        return tag

    def remind(self, view: IncidentView, deadline: Deadline, now: datetime, tag: str) -> str:
        return tag

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
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=600, help="incidents whose firing is timed")
    parser.add_argument("--window", type=float, default=40.0, help="seconds they fall due over")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/timers.sqlite3"
        run(url, args.incidents, args.live, timedelta(seconds=args.window))


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
        service.declare(severity=Severity.SEV1, title=f"incident {n}", by="U0BENCH")
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
        service.declare(severity=Severity.SEV2, title=f"live {n}", by="U0BENCH")
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
    print(
        f"lateness on the running ticker ({len(on_time)} firings): p50 "
        f"{statistics.median(on_time) * ms:.0f} ms, p99 {percentile(on_time, 99) * ms:.0f} ms,"
        f" max {max(on_time) * ms:.0f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {rss:.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
