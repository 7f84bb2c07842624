"""Acknowledgement latency of `/incident sev1` under concurrency, on SQLite and PostgreSQL.

Runs `incident-bot serve` as a separate process against the Slack stub (zero latency), sends N
correctly signed slash commands from C concurrent clients, and prints p50/p95/p99 of the time to
the acknowledgement, declarations per second, and how long after its ack each declaration's
channel, card and reply were complete. A floor (GET /healthz at the same concurrency, same run)
shows what the load generator itself costs on this machine.

    python -m benchmarks.ack_latency [--requests 200] [--concurrency 50] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bot.entrypoints.sandbox import signing
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-signing-secret"  # noqa: S105


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextmanager
def serving(slack_api_url: str, database_url: str) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api_url,
        "INCIDENT_ANNOUNCE_CHANNEL": "C0ANNOUNCE",
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        "TEMPLATES_DIR": str(ROOT / "templates"),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def declare(url: str, slack_api_url: str, n: int) -> tuple[float, float, str]:
    key = f"bench{n}"
    body = signing.slash_command_body(
        text=f"sev1 benchmark incident {n}",
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0GENERAL",
        channel_name="general",
        team_id="T0000STUB",
        trigger_id=f"bench-trigger-{n}-{time.time_ns()}",
        response_url=slack_api_url.replace("/api/", f"/response/{key}"),
    )
    started = time.perf_counter()
    status, _, _ = signing.post(f"{url}/slack/events", body, signing.FORM, SECRET)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"request {n} got HTTP {status}")
    return elapsed, time.time(), key


def floor(url: str) -> float:
    started = time.perf_counter()
    urllib.request.urlopen(f"{url}/healthz", timeout=10).read()
    return time.perf_counter() - started


@contextmanager
def slack_stub() -> Iterator[str]:
    """The stub in a process of its own, so it does not share the load generator's GIL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.entrypoints.sandbox.slack_api",
            "--user",
            "U0ALICE",
            "--channel",
            "C0ANNOUNCE",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def completion_times(base_url: str, keys: list[str], timeout: float = 60) -> dict[str, float]:
    """When each request's final reply reached its response URL, waiting for all of them."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(base_url.replace("/api/", "/_stub/response_times")) as r:
            times = json.load(r)
        if all(key in times for key in keys) or time.monotonic() > deadline:
            return {key: times[key][-1] for key in keys if key in times}
        time.sleep(0.2)


def run(label: str, database_url: str, requests: int, concurrency: int) -> None:
    with slack_stub() as base_url, serving(base_url, database_url) as url:
        with ThreadPoolExecutor(concurrency) as pool:
            floors = list(pool.map(lambda _: floor(url), range(requests)))
            started = time.perf_counter()
            results = list(pool.map(lambda n: declare(url, base_url, n), range(requests)))
            wall = time.perf_counter() - started
        done = completion_times(base_url, [key for _, _, key in results])
        completions = [done.get(key, float("inf")) - acked_at for _, acked_at, key in results]
    acks = [r[0] for r in results]
    ms = 1000
    within = sum(1 for c in completions if c <= 1.0)
    completions = [c for c in completions if c != float("inf")] or [float("nan")]
    print(
        f"{label:10} ack p50 {percentile(acks, 50) * ms:6.1f} ms  p95 "
        f"{percentile(acks, 95) * ms:6.1f} ms  p99 {percentile(acks, 99) * ms:6.1f} ms  | "
        f"floor p50 {percentile(floors, 50) * ms:5.1f} p99 {percentile(floors, 99) * ms:5.1f} ms"
        f"  | {requests / wall:6.1f} declarations/s"
    )
    print(
        f"{'':10} complete after ack: p50 {statistics.median(completions) * ms:6.0f} ms  "
        f"p99 {percentile(completions, 99) * ms:6.0f} ms  max {max(completions) * ms:6.0f} ms"
        f"  | {within}/{requests} within 1 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/",
        help="server URL without a database; a scratch database is made",
    )
    args = parser.parse_args()
    print(
        f"{args.requests} signed /incident sev1 requests, {args.concurrency} concurrent, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as scratch:
        run("SQLite", f"sqlite:///{scratch}/bench.sqlite3", args.requests, args.concurrency)
    name = f"incident_bot_bench_{os.getpid()}"
    admin = args.postgres.replace("postgresql+psycopg://", "postgresql://") + "postgres"
    subprocess.run(
        [sys.executable, str(ROOT / ".ci/pg.py"), "create", admin, name],
        check=True,
        capture_output=True,
    )
    try:
        run("PostgreSQL", args.postgres + name, args.requests, args.concurrency)
    finally:
        subprocess.run(
            [sys.executable, str(ROOT / ".ci/pg.py"), "drop", admin, name],
            check=True,
            capture_output=True,
        )


if __name__ == "__main__":
    main()
