"""The insights report over 10,000 incidents: seconds and peak memory (goal: < 2 s, < 300 MB).

A child process fills a database with incidents spread over the last 90 days (a mix of
severities and services; acknowledged, told, mitigated and resolved at random times, some
reopened, some with severity changes, rollback decisions and follow-ups), rows inserted in
bulk. This process then does what `incident-bot report --since 90d` does: read the record,
plan every deadline, measure, and render the text and the HTML with its charts. Printed: the
seconds of each part and of the whole, and this process's peak resident memory.

    python -m benchmarks.report [--incidents 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("checkout", "search", "accounts", "payments", "catalog", "shipping")
NOW = datetime.now(UTC).replace(microsecond=0)
COLUMNS = ("severity", "subject", "next_update_seconds", "text")


def _timeline(rng: random.Random, declared: datetime) -> list[dict[str, Any]]:
    """One incident's events as rows (``extra`` a dict), in order."""
    severity = rng.choices(("sev1", "sev2", "sev3"), (3, 5, 2))[0]
    services = ",".join(rng.sample(SERVICES, rng.choice((1, 1, 2))))
    planned: list[tuple[float, str, str, dict[str, Any]]] = []

    def add(minutes: float, kind: str, actor: str = "U0BOB", **fields: Any) -> None:
        planned.append((minutes, kind, actor, fields))

    add(
        0,
        "declared",
        "U0ALICE",
        severity=severity,
        text="something is wrong",
        extra={"services": services},
    )
    t = rng.uniform(1, 10)
    add(t, "commander_assigned", subject="U0BOB")
    add(t + rng.uniform(0, 20), "acknowledged", "U0CAROL")
    if rng.random() < 0.15:
        add(t + 1, "severity_changed", severity=rng.choice(("sev1", "sev2")))
    if rng.random() < 0.3:
        deploy = {
            "service": services.split(",")[0],
            "version": "v1",
            "finished_at": declared.isoformat(),
        }
        add(
            t + 2,
            "rollback_decided",
            text="roll back",
            extra={**deploy, "decision": rng.choice(("roll back", "not related"))},
        )
    update = rng.uniform(5, 40)
    add(
        update,
        "status_update_posted",
        next_update_seconds=1800,
        text="We are aware.",
        extra={"awaits_telling": "1"},
    )
    add(update + 0.5, "stakeholders_told", "incident-bot")
    mitigated = update + rng.uniform(5, 120)
    add(mitigated, "mitigated")
    resolved = mitigated + rng.uniform(5, 240)
    add(resolved, "resolved")
    if rng.random() < 0.1:
        add(resolved + 10, "reopened")
        add(resolved + rng.uniform(20, 200), "resolved")
    if rng.random() < 0.5:
        due = (declared + timedelta(days=14)).isoformat()
        add(resolved + 5, "follow_up_added", subject="U0BOB", text="fix it", extra={"due": due})
        if rng.random() < 0.6:
            add(resolved + rng.uniform(60, 30000), "follow_up_done", extra={"follow_up": "1"})
    rows: list[dict[str, Any]] = []
    last_update = 0
    for minutes, kind, actor, fields in sorted(planned, key=lambda p: p[0]):
        at = declared + timedelta(minutes=minutes)
        if at >= NOW:
            break
        extra = dict(fields.get("extra", {}))
        if kind == "stakeholders_told":
            extra["update"] = str(last_update)
        row = {**dict.fromkeys(COLUMNS), **fields, "extra": extra}
        rows.append({**row, "seq": len(rows) + 1, "at": at, "kind": kind, "actor": actor})
        if kind == "status_update_posted":
            last_update = len(rows)
    return rows


def fill(url: str, incidents: int) -> None:
    """Migrate the database at ``url`` and insert ``incidents`` incidents, in bulk."""
    from sqlalchemy import insert

    from bot.adapters.db import engine as engines
    from bot.adapters.db import migrate
    from bot.adapters.db.tables import EventRow, IncidentRow

    rng = random.Random(19)
    engine = engines.connect(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        for start in range(0, incidents, 1000):
            heads, events = [], []
            for number in range(start + 1, min(start + 1000, incidents) + 1):
                declared = NOW - timedelta(minutes=rng.uniform(0, 90 * 24 * 60))
                rows = _timeline(rng, declared)
                first = rows[0]
                heads.append(
                    {
                        "id": number,
                        "title": first["text"],
                        "description": "",
                        "severity": first["severity"],
                        "state": "resolved",
                        "declared_at": declared,
                        "declared_by": "U0ALICE",
                        "started_at": declared,
                        "services": first["extra"]["services"],
                        "setup_done": "",
                        "updated_at": declared,
                    }
                )
                events += [{"incident_id": number, **row} for row in rows]
            connection.execute(insert(IncidentRow), heads)
            connection.execute(insert(EventRow), events)
    engine.dispose()


def measure(url: str) -> dict[str, float]:
    from bot.adapters import report_html, reports
    from bot.adapters.db import engine as engines
    from bot.adapters.db.unit_of_work import units_of_work
    from bot.playbooks import loader
    from bot.services.insights import Insights, collector_paused

    with collector_paused():  # as `incident-bot report` reads and writes
        began = time.perf_counter()
        policies = loader.load(ROOT / "playbooks").policies
        engine = engines.connect(url)
        insights = Insights(units_of_work(engines.sessions(engine)), policies, lambda: NOW)
        report = insights.report(timedelta(days=90))
        read = time.perf_counter()
        text = reports.text(report)
        reports.json_text(report)
        reports.csv_text(report)
        written = time.perf_counter()
        page = report_html.html(report)
        drawn = time.perf_counter()
        engine.dispose()
    assert report.overall.incidents > 0 and "<svg" in page and text
    return {
        "incidents": report.overall.incidents,
        "read, planned and measured": read - began,
        "text, CSV and JSON": written - read,
        "HTML with 3 charts": drawn - written,
        "total": drawn - began,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'report.sqlite3'}"
        if args.fill_only:
            fill(url, args.incidents)
            return
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.report",
                "--fill-only",
                "--incidents",
                str(args.incidents),
                "--database-url",
                url,
            ],
            check=True,
            cwd=ROOT,
        )
        print(
            f"filled {args.incidents} incidents in {time.perf_counter() - began:.1f} s (not timed)"
        )
        figures = measure(url)
    for name, value in figures.items():
        print(
            f"{name}: {value:.2f} s" if name != "incidents" else f"incidents reported: {value:.0f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
    goal = figures["total"] < 2 and peak < 300
    print("goal (< 2 s, < 300 MB): " + ("met" if goal else "NOT met"))


if __name__ == "__main__":
    main()
