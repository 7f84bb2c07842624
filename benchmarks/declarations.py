"""Declarations at once and sustained: the bot as shipped beside the floor, in one run.

Each scenario (N signed `/incident sev1 checkout ...` commands at once, from N clients, a
single one 10 times over, each once the last was done; then 300 from 50 clients, each client
sending its next as soon as its last was acknowledged; with --rate R, also 300 sent R a second
whatever the acks, an open load as people and alert storms make) runs against a fresh Slack stand-in
(`SlackApiStub`, real HTTP, in a process of its own, its workspace made up from the shipped
catalog as the sandbox makes it: user groups, so the owning team is invited) and a fresh
database, with the bot as `incident-bot serve` runs it (a process of its own; a warm-up
declaration first). The floor is a plain urllib client making the same Web API calls a
declaration made (replayed from the bot's warm-up, with the same payloads) in the fewest steps:
`conversations.create`, then everything else at once (the card, the user group lookups and the
invitations, the announcement, the topic, the other messages, the declarer's reply; the pin
after the card, the invitations after the lookups), every declaration started at once, on a
pool with as many threads as there are clients (at least enough for one declaration's calls).

Each scenario runs ``--repeat`` times (3), the bot, the floor and Bolt in turn, since this
machine's speed drifts by up to 3x within minutes (the floor's own p99 for 50 at once was seen
from 150 to 530 ms): each figure printed is the median of the runs' figures, and each ratio the
median of the runs' ratios, bot and floor of the same turn.

Printed, per scenario, side by side (bot on SQLite; on PostgreSQL with --database-url; the
floor; the bot over the floor): p50 / p99 of the time from the slash command POST (the floor:
from starting the declaration) to the channel's card (`chat.postMessage` with metadata
`incident_card`), to the announcement in the announcement channel and to the declarer's reply
at its response URL, as the stand-in timed their arrival; the acknowledgement's latency; and
the server process's CPU per declaration, for the acknowledging threads only (waitress's
workers and their loop) and for the whole process (the ack and the work after it, until the
stand-in heard nothing for a second). The floor column's ack figures are a minimal Bolt app
(process_before_response, a listener that only acks) on the same Flask + waitress stack, sent
the same commands and measured the same way. With --profile, a sampler in the bot's process
also prints where its threads spend each declaration's wall time (it slows the bot).

    python -m benchmarks.declarations [--sizes 1,30,50] [--sustained 300] [--clients 50] [--rate 20]
        [--repeat 3] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME]
        [--replicas 2] [--profile]

With --database-url, each scenario runs on a scratch database made beside NAME on the same
server (NAME_<pid>_<scenario>) and dropped afterwards; NAME itself is not touched. With
--replicas N as well, a further column runs N bot processes on one such database, declaration
n sent to replica n mod N (as a Service spreads requests over pods); replicas that did not act
as one bot (a card or an announcement posted twice for one declaration) are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.entrypoints.sandbox import signing
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]
# The bot paces its Web API calls at Slack's published rates (conversations.create: 20 a
# minute); the stand-in does not limit, so the bot is measured with them scaled out of the way.
RATE_SCALE = "10000"
SECRET = "benchmark-signing-secret"  # noqa: S105
TOKEN = "xoxb-test-token"  # noqa: S105 - the stand-in's fixed fake
AUDIT_KEY = "0" * 64  # a deployment seals its audit rows; so does the bot measured here
ANNOUNCE = "C0INCIDENTS"  # the sandbox's announcement channel (bot.entrypoints.sandbox.cast)
GENERAL = "C0GENERAL"
DECLARER = "U0ALICE"
CHANNEL_REF = re.compile(r"<#(C[A-Z0-9]+)")
WARM_UP = 10**6  # the other replicas' warm-up declarations: 10**6 + 1, ... (no scenario's)
TAG = re.compile(r"-d(\d+)$")  # the end of a declaration's channel name: its title's "d<n>"
Json = dict[str, Any]


# -- the Slack stand-in, in a process of its own ----------------------------------------------


def stub_role() -> None:
    """Child: the stand-in with the sandbox's workspace; answers `calls N` and `replies` on
    stdin with one JSON line each on stdout."""
    from bot.entrypoints.sandbox import cast
    from bot.entrypoints.sandbox.slack_api import SlackApiStub
    from bot.playbooks import loader

    stub = SlackApiStub(TOKEN).start()
    cast.populate(stub, loader.load(ROOT / "playbooks"), "UTC")
    print(stub.base_url, flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[0] == "calls":
            calls = stub.calls[int(words[1]) :]
            full = len(words) > 2
            answer: Any = [
                _summary(call.method, call.params, call.response, call.time, full) for call in calls
            ]
        else:
            answer = stub.all_response_times()
        print(json.dumps(answer), flush=True)


def _summary(method: str, params: Json, response: Json, at: float, full: bool) -> Json:
    metadata = params.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    created = response.get("channel") if method == "conversations.create" else None
    return {
        "method": method,
        "time": at,
        "channel": params.get("channel"),
        "event_type": metadata.get("event_type") if isinstance(metadata, dict) else None,
        "name": params.get("name"),
        "created": created.get("id") if isinstance(created, dict) else None,
        "refs": CHANNEL_REF.findall(json.dumps(params.get("blocks") or params.get("text"))),
        "ts": response.get("ts"),
        **({"params": params} if full else {}),
    }


@dataclass
class Stub:
    process: subprocess.Popen[str]
    base_url: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server_url(self) -> str:
        return self.base_url.removesuffix("/api/")

    def ask(self, line: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return json.loads(self.process.stdout.readline())

    def calls(self, since: int = 0, full: bool = False) -> list[Json]:
        return list(self.ask(f"calls {since}{' full' if full else ''}"))

    def replies(self) -> dict[str, list[float]]:
        return dict(self.ask("replies"))


@contextmanager
def slack_stub() -> Iterator[Stub]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.declarations", "--role", "stub"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield Stub(process, process.stdout.readline().strip())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.terminate()
        process.wait(timeout=10)


# -- the servers: the bot as shipped, and an ack-only Bolt app --------------------------------


def acking(name: str) -> bool:
    """A thread that acknowledges: one of waitress's workers, or the loop reading requests."""
    return name.startswith("waitress-") or name == "http"


# The bot's own loops that wait between turns (serve's main thread, the ticker, checkpoints,
# the request loop): a sample there is not time a declaration takes.
IDLE_LOOPS = ("cli.py:serve", "ticker.py:_loop", "checkpoints.py:_loop", "http.py:_serve")


class Sampler:
    """Where each thread is, every ``every`` seconds (wall time, waits included): its pool, its
    innermost frame in the bot's code and its innermost frame of all. Threads with no frame of
    the bot (idle workers) are not counted."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.counts: dict[tuple[str, str, str], int] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self.run, name="sampler", daemon=True).start()

    def run(self) -> None:
        me = threading.get_ident()
        while True:
            time.sleep(self.every)
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                where = self.innermost_bot(frame)
                if where is None or where.endswith(IDLE_LOOPS):
                    continue  # an idle worker, or a loop waiting for its next turn
                name = names.get(ident, "?")
                pool = "ack" if acking(name) else re.sub(r"[_-]?\d+$", "", name)
                leaf = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
                with self.lock:
                    key = (pool, where, leaf)
                    self.counts[key] = self.counts.get(key, 0) + 1

    @staticmethod
    def innermost_bot(frame: Any) -> str | None:
        while frame is not None:
            path = frame.f_code.co_filename
            if "/bot/" in path and "/sandbox/" not in path:
                return f"{path[path.rindex('/bot/') + 1 :]}:{frame.f_code.co_name}"
            frame = frame.f_back
        return None

    def taken(self) -> list[tuple[str, str, str, int]]:
        with self.lock:
            counts, self.counts = self.counts, {}
        return [(*key, count) for key, count in counts.items()]


def serve_cpu(port: int, sampler: Sampler | None = None) -> None:
    """A thread answering GET / with this process's CPU seconds, all of it and the
    acknowledging threads', and GET /profile with the sampler's counts since the last ask."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/profile":
                taken = sampler.taken() if sampler else []
                self.answer({"every": sampler.every if sampler else 0, "samples": taken})
                return
            ack = 0.0
            for thread in threading.enumerate():
                if thread.ident is None or not acking(thread.name):
                    continue
                try:
                    ack += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
                except OSError:  # it ended in between
                    continue
            self.answer({"process": time.process_time(), "ack": ack})

        def answer(self, value: Json) -> None:
            body = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Answer)
    threading.Thread(target=server.serve_forever, name="cpu", daemon=True).start()


def bot_role(port: int, cpu_port: int) -> None:
    """Child: `incident-bot serve`, as shipped (settings from the environment), plus the CPU
    answer."""
    from bot.entrypoints import cli

    serve_cpu(cpu_port, Sampler() if os.environ.get("BENCH_PROFILE") else None)
    sys.exit(cli.main(["serve", "--host", "127.0.0.1", "--port", str(port)]))


def bolt_role(port: int, cpu_port: int, slack_api_url: str) -> None:
    """Child: a Bolt app whose one listener only acks, on Flask and waitress as the bot is."""
    from flask import Flask, Response, request
    from slack_bolt import Ack, App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_sdk import WebClient
    from waitress.server import create_server

    bolt = App(
        client=WebClient(token=TOKEN, base_url=slack_api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @bolt.command("/incident")
    def only_ack(ack: Ack) -> None:
        ack()

    web = Flask("ack-only")
    door = SlackRequestHandler(bolt)

    @web.post("/slack/events")
    def events() -> Response:
        return door.handle(request)

    @web.get("/healthz")
    def healthz() -> str:
        return "ok"

    serve_cpu(cpu_port)
    wsgi = create_server(web, host="127.0.0.1", port=port, threads=16)
    loop = threading.Thread(target=wsgi.run, name="http", daemon=True)
    loop.start()
    threading.Event().wait()


@dataclass
class Server:
    url: str
    cpu_url: str
    log: Path

    def cpu(self) -> Json:
        with urllib.request.urlopen(self.cpu_url, timeout=10) as answer:
            return dict(json.load(answer))

    def profile(self) -> Json:
        with urllib.request.urlopen(self.cpu_url + "profile", timeout=10) as answer:
            return dict(json.load(answer))


@contextmanager
def server(
    role: str, stub: Stub, database_url: str, scratch: Path, profile: bool = False
) -> Iterator[Server]:
    port, cpu_port = free_port(), free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": stub.base_url,
        "INCIDENT_ANNOUNCE_CHANNEL": ANNOUNCE,
        "INCIDENT_TRIAGE_CHANNEL": "C0TRIAGE",
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        "TEMPLATES_DIR": str(ROOT / "templates"),
        "AUDIT_KEY": AUDIT_KEY,
        "LOG_LEVEL": "WARNING",
        "SHUTDOWN_DRAIN_SECONDS": "2",
        "SLACK_RATE_SCALE": os.environ.get("SLACK_RATE_SCALE", RATE_SCALE),
        **({"BENCH_PROFILE": "1"} if profile else {}),
    }
    log = scratch / f"{role}-{port}.log"
    command = [sys.executable, "-m", "benchmarks.declarations", "--role", role]
    command += ["--port", str(port), "--cpu-port", str(cpu_port), "--slack", stub.base_url]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{role} exited: {log.read_text()[-2000:]}") from None
                time.sleep(0.05)
        yield Server(url, f"http://127.0.0.1:{cpu_port}/", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- load ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    n: int
    at: float  # time.time() just before the POST
    ack: float  # seconds to the HTTP answer


def declare(url: str, stub: Stub, n: int) -> Sent:
    body = signing.slash_command_body(
        text=f"sev1 checkout down d{n}",
        user_id=DECLARER,
        user_name="alice",
        channel_id=GENERAL,
        channel_name="general",
        team_id=signing.TEAM_ID,
        trigger_id=f"bench-{n}-{time.time_ns()}",
        response_url=f"{stub.server_url}/response/d{n}",
    )
    at, started = time.time(), time.perf_counter()
    status, _, _ = signing.post(f"{url}/slack/events", body, signing.FORM, SECRET)
    ack = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"declaration {n} was answered HTTP {status}")
    return Sent(n, at, ack)


def send(
    urls: list[str], stub: Stub, numbers: list[int], clients: int, rate: float | None = None
) -> list[Sent]:
    """``numbers`` from ``clients`` clients, each sending its next once the last was acked;
    or, with ``rate``, one every 1/``rate`` seconds whatever the acks (an open load: people
    and alerts do not wait for each other). Declaration n goes to replica n mod len(urls), as
    a Service spreads requests over pods."""
    with ThreadPoolExecutor(clients) as pool:
        if rate is None:
            return list(pool.map(lambda n: declare(urls[n % len(urls)], stub, n), numbers))
        sending = []
        for n, due in zip(numbers, paced(len(numbers), rate), strict=True):
            time.sleep(max(due - time.monotonic(), 0.0))
            sending.append(pool.submit(declare, urls[n % len(urls)], stub, n))
        return [future.result() for future in sending]


def paced(count: int, rate: float) -> list[float]:
    """When each of ``count`` starts, ``rate`` a second from now (time.monotonic())."""
    start = time.monotonic()
    return [start + index / rate for index in range(count)]


@dataclass
class Arrivals:
    """When each declaration's card, announcement and reply reached the stand-in."""

    card: dict[int, float] = field(default_factory=dict)
    announcement: dict[int, float] = field(default_factory=dict)
    reply: dict[int, float] = field(default_factory=dict)
    repeated: int = 0  # cards and announcements posted more than once for one declaration

    def merge(self, other: Arrivals) -> None:
        self.card |= other.card
        self.announcement |= other.announcement
        self.reply |= other.reply
        self.repeated += other.repeated

    def complete(self, numbers: list[int]) -> bool:
        return all(n in self.card and n in self.announcement for n in numbers)


def arrivals(
    stub: Stub, since: int, numbers: list[int], timeout: float, quiet: float = 1.0
) -> tuple[Arrivals, int]:
    """Wait (at most ``timeout`` s) until every declaration's card and announcement arrived, and
    then until the stand-in has heard nothing for ``quiet`` seconds (the work after the
    announcement, which the CPU figure covers); the arrivals, and the call count then."""
    seen: list[Json] = []
    deadline = time.monotonic() + timeout
    found = Arrivals()
    while time.monotonic() < deadline:
        seen += stub.calls(since + len(seen))
        found = match(seen)
        if found.complete(numbers):
            break
        time.sleep(0.1)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        more = stub.calls(since + len(seen))
        if not more:
            break
        seen += more
    found = match(seen)
    for key, times in stub.replies().items():
        # The first answer at the response URL after the ack: the channel is there.
        if key.startswith("d") and key[1:].isdigit() and times:
            found.reply[int(key[1:])] = times[0]
    return found, since + len(seen)


def match(calls: list[Json]) -> Arrivals:
    channels: dict[str, int] = {}
    found = Arrivals()
    for call in calls:
        method = call["method"]
        if method == "conversations.create" and call["created"]:
            tag = TAG.search(str(call["name"]))
            if tag:
                channels[call["created"]] = int(tag.group(1))
        elif method == "chat.postMessage" and call["event_type"] == "incident_card":
            n = channels.get(str(call["channel"]))
            if n is not None:
                found.repeated += n in found.card
                found.card.setdefault(n, call["time"])
        elif method == "chat.postMessage" and call["channel"] == ANNOUNCE:
            for ref in call["refs"]:
                if ref in channels:
                    found.repeated += channels[ref] in found.announcement
                    found.announcement.setdefault(channels[ref], call["time"])
    return found


# -- the floor ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """The Web API calls one declaration made, after `conversations.create`, as the bot sent
    them; ``channel`` and ``card_ts`` are what to put the new declaration's in place of."""

    calls: list[tuple[str, Json]]
    channel: str
    card_ts: str
    reply: Json


def template(stub: Stub, since: int) -> Template:
    calls = stub.calls(since, full=True)
    [create] = [c for c in calls if c["method"] == "conversations.create"]
    card = next(c for c in calls if c["event_type"] == "incident_card")
    after = [(c["method"], c["params"]) for c in calls if c["method"] != "conversations.create"]
    reply = {
        "text": f"Sev1 incident 1: checkout down is declared in <#{create['created']}>.",
        "response_type": "ephemeral",
        "replace_original": False,
    }
    return Template(after, str(create["created"]), str(card["ts"]), reply)


class Floor:
    """Declarations made by a plain client, in the fewest steps, on ``threads`` threads."""

    def __init__(self, stub: Stub, shape: Template, threads: int) -> None:
        self.stub, self.shape = stub, shape
        self.pool = ThreadPoolExecutor(threads)
        self.left = 0  # calls queued or running
        self.errors: list[BaseException] = []
        self.done = threading.Condition()

    def call(self, method: str, params: Json) -> Json:
        request = urllib.request.Request(
            self.stub.base_url + method,
            data=json.dumps(params).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = dict(json.load(answer))
        if not body.get("ok"):
            raise RuntimeError(f"floor: {method} answered {body}")
        return body

    def run(self, numbers: list[int], rate: float | None = None) -> dict[int, float]:
        """Start every declaration now (``rate``: one every 1/rate seconds); when each
        started, once all have finished."""
        started: dict[int, float] = {}
        dues = paced(len(numbers), rate) if rate else [time.monotonic()] * len(numbers)
        for n, due in zip(numbers, dues, strict=True):
            time.sleep(max(due - time.monotonic(), 0.0))
            started[n] = time.time()
            self.later(self.declaration, n)
        with self.done:
            self.done.wait_for(lambda: self.left == 0, timeout=300)
        self.pool.shutdown()
        if self.errors:
            raise RuntimeError(f"floor: {len(self.errors)} calls failed") from self.errors[0]
        return started

    def later(self, work: Callable[..., object], *args: Any) -> None:
        with self.done:
            self.left += 1
        self.pool.submit(self.counted, work, *args)

    def counted(self, work: Callable[..., object], *args: Any) -> None:
        try:
            work(*args)
        except Exception as error:  # the pool would keep it in a future nobody reads
            self.errors.append(error)
        finally:
            with self.done:
                self.left -= 1
                self.done.notify_all()

    def declaration(self, n: int) -> None:
        created = self.call("conversations.create", {"name": f"floor-d{n}"})
        channel = str(created["channel"]["id"])
        shape = self.shape

        def made(params: Json) -> Json:
            return dict(json.loads(json.dumps(params).replace(shape.channel, channel)))

        # What waits for another call: the pin for the card, the invitation for the lookups.
        pins = [made(p) for m, p in shape.calls if m == "pins.add"]
        invites = [made(p) for m, p in shape.calls if m == "conversations.invite"]
        lookups = [made(p) for m, p in shape.calls if m == "usergroups.users.list"]
        first = [(m, made(p)) for m, p in shape.calls if p.get("metadata")]  # card, announcement
        rest = [
            (m, made(p))
            for m, p in shape.calls
            if not p.get("metadata")
            and m not in ("pins.add", "conversations.invite", "usergroups.users.list")
        ]
        for method, params in first:
            if params.get("channel") == channel:  # the card, then its pin
                self.later(self.card_then_pin, method, params, pins)
            else:
                self.later(self.call, method, params)

        def invite() -> None:
            for params in invites:
                self.later(self.call, "conversations.invite", params)

        looked_up = _Countdown(len(lookups), invite)
        for params in lookups:
            self.later(self.then_count, "usergroups.users.list", params, looked_up)
        for method, params in rest:
            self.later(self.call, method, params)
        self.later(self.respond, n, made(shape.reply))

    def card_then_pin(self, method: str, params: Json, pins: list[Json]) -> None:
        answer = self.call(method, params)
        for pin in pins:
            self.later(self.call, "pins.add", {**pin, "timestamp": answer["ts"]})

    def then_count(self, method: str, params: Json, countdown: _Countdown) -> None:
        self.call(method, params)
        countdown.one_done()

    def respond(self, n: int, message: Json) -> None:
        request = urllib.request.Request(
            f"{self.stub.server_url}/response/d{n}",
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()


class _Countdown:
    """Runs ``then`` once ``count`` calls have finished (at once when there are none)."""

    def __init__(self, count: int, then: Callable[[], object]) -> None:
        self.count, self.then = count, then
        self.lock = threading.Lock()
        if count == 0:
            then()

    def one_done(self) -> None:
        with self.lock:
            self.count -= 1
            last = self.count == 0
        if last:
            self.then()


# -- scenarios --------------------------------------------------------------------------------


@dataclass
class Figures:
    """Seconds from each declaration's POST (or start) to what it is named for."""

    card: list[float] = field(default_factory=list)
    announcement: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    ack: list[float] = field(default_factory=list)
    ack_cpu: float | None = None  # CPU seconds per declaration, acknowledging threads
    process_cpu: float | None = None  # CPU seconds per declaration, the whole server
    missing: int = 0
    repeated: int = 0  # cards and announcements made twice (replicas not acting as one bot)
    profile: Json | None = None  # the sampler's counts over the scenario (with --profile)


def figures(started: dict[int, float], found: Arrivals) -> Figures:
    result = Figures()
    for n, at in started.items():
        for kind, arrived in (
            (result.card, found.card),
            (result.announcement, found.announcement),
            (result.reply, found.reply),
        ):
            if n in arrived:
                kind.append(arrived[n] - at)
        if n not in found.card or n not in found.announcement:
            result.missing += 1
    result.repeated = found.repeated
    return result


@dataclass(frozen=True)
class Scenario:
    """``count`` declarations from ``clients`` clients, ``rounds`` times, each turn once the
    last one's declarations were complete."""

    label: str
    count: int
    clients: int
    rounds: int = 1
    rate: float | None = None  # declarations a second, sent whatever the acks (None: closed)

    def numbers(self, turn: int) -> list[int]:
        return list(range(turn * self.count + 1, (turn + 1) * self.count + 1))

    @property
    def total(self) -> int:
        return self.count * self.rounds


def run_bot(
    scenario: Scenario,
    database_url: str,
    scratch: Path,
    profile: bool = False,
    replicas: int = 1,
) -> tuple[Figures, Template | None]:
    """The scenario against ``replicas`` bot processes sharing ``database_url``."""
    with slack_stub() as stub, ExitStack() as stack:
        bots = [
            stack.enter_context(server("bot", stub, database_url, scratch, profile))
            for _ in range(replicas)
        ]
        since = len(stub.calls())
        declare(bots[0].url, stub, 0)  # warm-up: imports, templates, connections
        found, mark = arrivals(stub, since, [0], timeout=60)
        shape = template(stub, since) if found.complete([0]) else None
        for index, other in enumerate(bots[1:], 1):  # each replica warmed up in turn
            warm = WARM_UP + index
            declare(other.url, stub, warm)
            _, mark = arrivals(stub, mark, [warm], timeout=60)
        for bot in bots:
            bot.profile()  # what the warm-up took is dropped
        before = [bot.cpu() for bot in bots]
        sent: list[Sent] = []
        found = Arrivals()
        for turn in range(scenario.rounds):
            numbers = scenario.numbers(turn)
            sent += send([bot.url for bot in bots], stub, numbers, scenario.clients, scenario.rate)
            last = turn == scenario.rounds - 1
            wait = 30 + scenario.count
            arrived, mark = arrivals(stub, mark, numbers, wait, quiet=1.0 if last else 0.2)
            found.merge(arrived)
        after = [bot.cpu() for bot in bots]
        sampled = bots[0].profile() if profile else None
    result = figures({s.n: s.at for s in sent}, found)
    result.profile = sampled
    result.ack = [s.ack for s in sent]
    for kind in ("ack", "process"):
        used = sum(end[kind] - start[kind] for start, end in zip(before, after, strict=True))
        setattr(result, f"{kind}_cpu", used / scenario.total)
    return result, shape


def run_floor(scenario: Scenario, shape: Template, threads: int | None) -> Figures:
    with slack_stub() as stub:
        mark = len(stub.calls())
        started: dict[int, float] = {}
        found = Arrivals()
        for turn in range(scenario.rounds):
            numbers = scenario.numbers(turn)
            # As many threads as clients, and at least enough for one declaration's calls at once.
            width = threads or max(scenario.clients, len(shape.calls))
            started |= Floor(stub, shape, width).run(numbers, scenario.rate)
            arrived, mark = arrivals(stub, mark, numbers, timeout=60, quiet=0.2)
            found.merge(arrived)
    return figures(started, found)


def run_bolt(scenario: Scenario, scratch: Path) -> Figures:
    """The ack-only Bolt app, sent the scenario's commands and measured as the bot is."""
    with slack_stub() as stub, server("bolt", stub, "", scratch) as bolt:
        send([bolt.url], stub, list(range(-20, 0)), 10)  # warm-up
        before = bolt.cpu()
        sent: list[Sent] = []
        for turn in range(scenario.rounds):
            numbers = scenario.numbers(turn)
            sent += send([bolt.url], stub, numbers, scenario.clients, scenario.rate)
        after = bolt.cpu()
    return Figures(
        ack=[s.ack for s in sent],
        ack_cpu=(after["ack"] - before["ack"]) / scenario.total,
        process_cpu=(after["process"] - before["process"]) / scenario.total,
    )


@contextmanager
def scratch_database(url: str, label: str) -> Iterator[str]:
    """A database made beside ``url``'s on the same server, dropped afterwards."""
    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'incident_bot'}_{os.getpid()}_{label}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    pg = [sys.executable, str(ROOT / ".ci/pg.py")]
    subprocess.run([*pg, "create", admin, name], check=True, capture_output=True)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        subprocess.run([*pg, "drop", admin, name], check=True, capture_output=True)


# -- printing -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


Runs = list[list[float]]
"""One measure's values in each run of a scenario."""


def spread(runs: Runs) -> str:
    """The median over runs of each run's p50, and of each run's p99, in ms."""
    runs = [values for values in runs if values]
    if not runs:
        return "-"
    p50 = statistics.median(statistics.median(values) for values in runs)
    p99 = statistics.median(percentile(values, 99) for values in runs)
    return f"{p50 * 1000:,.0f} / {p99 * 1000:,.0f}"


def ratio(runs: Runs, floors: Runs) -> str:
    """The median over runs of the bot's p50 (p99) over the floor's of the same turn: each
    pair measured minutes apart at most, as the machine's load drifts."""
    pairs = [(v, f) for v, f in zip(runs, floors, strict=True) if v and f]
    if not pairs:
        return "-"
    p50 = statistics.median(
        statistics.median(values) / max(statistics.median(floor), 1e-9) for values, floor in pairs
    )
    p99 = statistics.median(
        percentile(values, 99) / max(percentile(floor, 99), 1e-9) for values, floor in pairs
    )
    return f"{p50:.1f}x / {p99:.1f}x"


def cpu(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return "-" if not known else f"{statistics.median(known) * 1000:.1f}"


def cpu_ratio(values: list[float | None], floors: list[float | None]) -> str:
    ratios = [v / f for v, f in zip(values, floors, strict=True) if v is not None and f]
    return "-" if not ratios else f"{statistics.median(ratios):.1f}x"


def table(
    scenarios: list[Scenario],
    bots: dict[str, dict[str, list[Figures]]],
    floors: dict[str, list[Figures]],
    bolts: dict[str, list[Figures]],
) -> list[list[str]]:
    header = ["", "", *(f"bot, {db}" for db in bots), "floor", *(f"{db} / floor" for db in bots)]
    rows = [header]
    for scenario in scenarios:
        floor, bolt = floors[scenario.label], bolts[scenario.label]
        by_db = [bots[db][scenario.label] for db in bots]
        measures: list[tuple[str, Callable[[Figures], list[float]], list[Figures]]] = [
            ("card in the channel, ms p50 / p99", lambda f: f.card, floor),
            ("announcement, ms p50 / p99", lambda f: f.announcement, floor),
            ("declarer's reply, ms p50 / p99", lambda f: f.reply, floor),
            ("ack (floor: Bolt ack-only), ms p50 / p99", lambda f: f.ack, bolt),
        ]
        for index, (name, pick, reference) in enumerate(measures):
            rows.append(
                [
                    scenario.label if index == 0 else "",
                    name,
                    *(spread([pick(run) for run in runs]) for runs in by_db),
                    spread([pick(run) for run in reference]),
                    *(
                        ratio([pick(run) for run in runs], [pick(run) for run in reference])
                        for runs in by_db
                    ),
                ]
            )
        rows.append(
            [
                "",
                "CPU per ack (floor: Bolt ack-only), ms",
                *(cpu([run.ack_cpu for run in runs]) for runs in by_db),
                cpu([run.ack_cpu for run in bolt]),
                *(
                    cpu_ratio([run.ack_cpu for run in runs], [run.ack_cpu for run in bolt])
                    for runs in by_db
                ),
            ]
        )
        rows.append(
            [
                "",
                "CPU per declaration, whole server, ms",
                *(cpu([run.process_cpu for run in runs]) for runs in by_db),
                "-",
                *("" for _ in by_db),
            ]
        )
    return rows


def show_profile(label: str, profile: Json, declarations: int, top: int = 15) -> None:
    """Thread-milliseconds per declaration, by pool and by place (waits included)."""
    every = float(profile["every"]) * 1000 / declarations
    pools: dict[str, float] = {}
    for pool, _, _, count in profile["samples"]:
        pools[pool] = pools.get(pool, 0.0) + count * every
    print(
        f"\n{label}: where the bot's threads are, thread-ms per declaration (wall time, waits "
        f"included, sampled every {profile['every'] * 1000:.0f} ms)"
    )
    print("  " + ", ".join(f"{pool} {ms:,.1f}" for pool, ms in sorted(pools.items())))
    ranked = sorted(profile["samples"], key=lambda sample: -sample[3])[:top]
    for pool, where, leaf, count in ranked:
        print(f"  {count * every:8,.1f}  {pool:10} {where}  > {leaf}")


def backlog(sustained: list[Figures], burst: list[Figures]) -> str:
    """The median sustained p99 over the median burst p99, card and announcement."""

    def p99(runs: Runs) -> float | None:
        found = [percentile(values, 99) for values in runs if values]
        return statistics.median(found) if found else None

    over = []
    for name in ("card", "announcement"):
        late = p99([getattr(f, name) for f in sustained])
        early = p99([getattr(f, name) for f in burst])
        if late is not None and early:
            over.append(f"{name} {late / early:.{1 if late >= early else 2}f}x")
    return ", ".join(over) or "-"


def show(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        print("  ".join(cells).rstrip())


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,30,50", help="declarations at once, comma-separated")
    parser.add_argument(
        "--rounds", type=int, default=10, help="times a size of 1 is declared, one after another"
    )
    parser.add_argument("--sustained", type=int, default=300, help="0: no sustained scenario")
    parser.add_argument("--clients", type=int, default=50, help="clients of the sustained load")
    parser.add_argument("--database-url", help="postgresql+psycopg://USER@HOST:PORT/NAME")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each scenario, bot and floor in turn; the figures are their medians",
    )
    parser.add_argument(
        "--floor-threads",
        type=int,
        help="the floor's threads (default: the clients, at least one declaration's calls)",
    )
    parser.add_argument(
        "--slack-rate-scale",
        default=RATE_SCALE,
        help=f"the bot's SLACK_RATE_SCALE (default {RATE_SCALE}: the stand-in does not limit; "
        "1: Slack's published rates, which space 50 declarations over minutes)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the bot's threads and print where they spend their time (slows it)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="with --sustained: also as many declarations sent at this many a second, "
        "whatever the acks (an open load, below the bot's throughput: is the backlog bounded?)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="with --database-url and more than 1: also that many bot processes sharing the "
        "PostgreSQL database, declarations spread over them in turn (a Service over pods)",
    )
    parser.add_argument("--role", choices=["stub", "bot", "bolt"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slack", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "stub":
        return stub_role()
    if args.role == "bot":
        return bot_role(args.port, args.cpu_port)
    if args.role == "bolt":
        return bolt_role(args.port, args.cpu_port, args.slack)

    os.environ["SLACK_RATE_SCALE"] = args.slack_rate_scale  # for the bots' processes
    sizes = [int(n) for n in args.sizes.split(",") if int(n)]
    rounds = {n: args.rounds if n == 1 else 1 for n in sizes}
    scenarios = [
        Scenario(f"{n} at once" + (f" (x{rounds[n]})" if rounds[n] > 1 else ""), n, n, rounds[n])
        for n in sizes
    ]
    if args.sustained:
        label = f"{args.sustained} from {args.clients}"
        scenarios.append(Scenario(label, args.sustained, args.clients))
        if args.rate:
            label = f"{args.sustained} at {args.rate:g}/s"
            scenarios.append(Scenario(label, args.sustained, args.clients, rate=args.rate))
    print(
        f"Declarations (/incident sev1 checkout ..., the owning team invited) against the Slack "
        f"stand-in, {os.cpu_count()} CPUs; floor: a plain client, same calls, fewest steps"
    )
    started = time.perf_counter()
    bots: dict[str, dict[str, list[Figures]]] = {"SQLite": {}}
    if args.database_url:
        bots["PostgreSQL"] = {}
    replicated = f"PostgreSQL x{args.replicas}"
    if args.database_url and args.replicas > 1:
        bots[replicated] = {}
    shape: Template | None = None
    floors: dict[str, list[Figures]] = {}
    bolts: dict[str, list[Figures]] = {}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        for index, scenario in enumerate(scenarios):  # side by side, as the machine drifts
            for turn in range(max(args.repeat, 1)):
                key = f"s{index}_{turn}"  # a database of its own for each scenario and turn
                url = f"sqlite:///{scratch}/bench-{key}.sqlite3"
                bot, made = run_bot(scenario, url, scratch, args.profile)
                bots["SQLite"].setdefault(scenario.label, []).append(bot)
                shape = shape or made
                if shape is None:
                    raise SystemExit("the bot's warm-up declaration never finished: no floor")
                if args.database_url:
                    with scratch_database(args.database_url, key) as pg_url:
                        bot, _ = run_bot(scenario, pg_url, scratch, args.profile)
                    bots["PostgreSQL"].setdefault(scenario.label, []).append(bot)
                if replicated in bots:
                    with scratch_database(args.database_url, f"{key}_x") as pg_url:
                        bot, _ = run_bot(scenario, pg_url, scratch, replicas=args.replicas)
                    bots[replicated].setdefault(scenario.label, []).append(bot)
                floor = run_floor(scenario, shape, args.floor_threads)
                floors.setdefault(scenario.label, []).append(floor)
                bolts.setdefault(scenario.label, []).append(run_bolt(scenario, scratch))
    show(table(scenarios, bots, floors, bolts))
    bursts = [s for s in scenarios if s.clients == s.count]
    if args.sustained and bursts:
        burst = max(bursts, key=lambda s: s.count)
        for sustained in (s for s in scenarios if s.count > s.clients):
            for db, results in bots.items():
                print(
                    f"bot, {db}: p99 of {sustained.label} over p99 of {burst.label} (the "
                    "backlog): " + backlog(results[sustained.label], results[burst.label])
                )
    for db, results in bots.items():
        for label, runs in results.items():
            if missing := sum(run.missing for run in runs):
                print(f"bot, {db}, {label}: {missing} declarations never completed")
            if repeated := sum(run.repeated for run in runs):
                print(f"bot, {db}, {label}: {repeated} cards or announcements posted twice")
    for db, results in bots.items():
        for scenario in scenarios:
            for turn, run in enumerate(results[scenario.label], 1):
                if run.profile is not None:
                    label = f"bot, {db}, {scenario.label}, run {turn}"
                    show_profile(label, run.profile, scenario.total)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
