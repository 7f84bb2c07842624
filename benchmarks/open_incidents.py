"""Work that should not grow with history: reading every open incident (``/incident list``,
alert intake, deploy reports) at N open incidents, and a read beside a long write.

Incident n names one service, ``svc-{n % 200}``. Prints, for ``open_incidents()`` over N open
incidents: the SQL statements it runs and its wall time; what a list, and an alert or a deploy
of a service some incidents name and of one none does, cost with none, 40 and N open; then how
long a read of one incident waits while another transaction holds the write lock for
``--hold`` seconds (on SQLite a read that asks for the write lock waits it out).

    python -m benchmarks.open_incidents [--incidents 10000] [--hold 0.5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, event, text

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind, Severity
from bot.playbooks import loader
from bot.services.incidents import IncidentService

ROOT = Path(__file__).resolve().parents[1]
SERVICES = 200  # incident n names svc-{n % SERVICES}
SERVICE = "svc-7"  # named by some
NO_SERVICE = "checkout"  # named by none
LISTED = 40  # what /incident list shows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=0.5, help="seconds a writer holds its lock")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/open.sqlite3"
        run(url, args.incidents, args.hold)


def run(url: str, incidents: int, hold: float) -> None:
    engine = engines.connect(url)
    migrate.upgrade(engine)
    sessions = engines.sessions(engine)
    rules = loader.load(ROOT / "playbooks").policies
    moment = datetime.now(UTC)
    service = IncidentService(units_of_work(sessions), rules, lambda: moment)
    measured = {0: _paths(service)}
    started = time.perf_counter()
    for n in range(incidents):
        declared = service.declare(
            severity=Severity.SEV2, title=f"incident {n}", by="U0BENCH", services=[_service(n)]
        )
        service.record(declared.view.id, EventKind.ACKNOWLEDGED, "U0BOB")
        if n + 1 == LISTED:
            _settle(engine)
            measured[LISTED] = _paths(service)
    took = time.perf_counter() - started
    _settle(engine)
    print(f"{incidents} open incidents over {SERVICES} services declared in {took:.1f} s")

    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    each = [service.get(n) for n in range(1, incidents + 1)]
    took = time.perf_counter() - started
    print(
        f"one at a time (how listing read them before): {len(each)} incidents, "
        f"{statements} SQL statements, {took:.2f} s"
    )
    statements = 0
    started = time.perf_counter()
    listed = service.open_incidents()
    took = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    print(f"open_incidents(): {len(listed)} incidents, {statements} SQL statements, {took:.2f} s")
    measured[incidents] = _paths(service)
    for name in measured[0]:
        taken = [f"{measured[n][name] * 1000:.1f} ms with {n or 'none'}" for n in sorted(measured)]
        print(f"{name}: {', '.join(taken)} open")
    named = len(range(int(SERVICE.removeprefix("svc-")), incidents, SERVICES))
    print(f"({SERVICE} is named by 1 of the first {LISTED} and {named} of {incidents})")

    holding = threading.Event()

    def writer() -> None:
        with engine.connect() as connection:
            connection.execute(text("UPDATE incidents SET title = title WHERE id = 1"))
            holding.set()
            time.sleep(hold)  # a long write transaction: what a read must not wait for
            connection.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait()
    started = time.perf_counter()
    service.get(1)
    waited = time.perf_counter() - started
    thread.join()
    print(f"reading one incident while a write holds the lock {hold:.1f} s: {waited:.3f} s")
    engine.dispose()


def _settle(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum does soon after a table fills (it may be off on a test
    server): statistics, without which the planner plans for empty tables, and the visibility
    map an index-only count reads."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def _service(n: int) -> str:
    return f"svc-{n % SERVICES}"


def _paths(service: IncidentService, rounds: int = 20) -> dict[str, float]:
    """Seconds (the best of ``rounds``) of what a list reads, and what an alert or a deploy
    for one service reads (one some incidents name, one none does)."""

    def best(work: Callable[[], object]) -> float:
        taken = []
        for _ in range(rounds):
            started = time.perf_counter()
            work()
            taken.append(time.perf_counter() - started)
        return min(taken)

    return {
        f"/incident list (the first {LISTED} and the count)": best(
            lambda: service.open_listed(LISTED)
        ),
        f"an alert or a deploy of {SERVICE}": best(lambda: service.open_incidents({SERVICE})),
        f"an alert or a deploy of {NO_SERVICE}": best(lambda: service.open_incidents({NO_SERVICE})),
    }


if __name__ == "__main__":
    main()
