"""Dependency probes against real servers on 127.0.0.1, and the Slack table they feed."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.adapters import probes
from bot.adapters.probes import ProbeResult, probe, probe_all, table

SHORT = 0.3  # for the tests about timing out
ANSWERS = 5.0  # for dependencies that answer at once, however loaded the machine


def answering(status: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def http_url() -> Iterator[Callable[[int], str]]:
    """Start an HTTP server answering every GET with the given status; returns its URL."""
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(status: int) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), answering(status))
        server.daemon_threads = False
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/health"

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket that accepts connections (the kernel's backlog does) and never says a word."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield server


@pytest.fixture
def tcp_target(listener: socket.socket) -> str:
    return f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def test_http_200_is_healthy_with_its_status_and_latency(http_url: Callable[[int], str]) -> None:
    url = http_url(200)

    result = probe(url, timeout=ANSWERS)

    assert result == ProbeResult(url, "http", True, result.latency_ms, 200, "HTTP 200")
    assert result.latency_ms is not None
    assert 0 < result.latency_ms < SHORT * 1000


def test_http_500_is_down_with_its_status(http_url: Callable[[int], str]) -> None:
    result = probe(http_url(500), timeout=ANSWERS)

    assert (result.kind, result.healthy, result.status, result.detail) == (
        "http",
        False,
        500,
        "HTTP 500",
    )
    assert result.latency_ms is not None  # it answered, however badly


def test_http_redirect_counts_as_healthy_and_is_not_followed(
    http_url: Callable[[int], str],
) -> None:
    # The Location points at a closed port: following it would make the probe fail.
    result = probe(http_url(302), timeout=ANSWERS)

    assert (result.healthy, result.status, result.detail) == (True, 302, "HTTP 302")


def test_tcp_listener_is_healthy(tcp_target: str) -> None:
    result = probe(tcp_target, timeout=ANSWERS)

    assert (result.kind, result.healthy, result.status, result.detail) == (
        "tcp",
        True,
        None,
        "connected",
    )
    assert result.latency_ms is not None


@pytest.mark.parametrize(("scheme", "kind"), [("", "tcp"), ("http://", "http")])
def test_closed_port_is_refused(closed_port: int, scheme: str, kind: str) -> None:
    target = f"{scheme}127.0.0.1:{closed_port}"

    result = probe(target, timeout=ANSWERS)

    assert result == ProbeResult(target, kind, False, None, None, "connection refused")


def test_silent_server_times_out_after_the_timeout(tcp_target: str) -> None:
    started = time.perf_counter()

    result = probe(f"http://{tcp_target}/health", timeout=SHORT)

    assert (result.healthy, result.status, result.latency_ms) == (False, None, None)
    assert result.detail == "timed out after 0.3 s"
    assert SHORT <= time.perf_counter() - started < 4 * SHORT


@pytest.mark.parametrize("target", ["db.internal:5432", "http://db.internal/health"])
def test_unknown_name_is_not_resolved(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    result = probe(target, timeout=ANSWERS)

    assert (result.healthy, result.detail) == (False, "name not resolved")


def test_https_to_a_plain_http_server_is_a_tls_error(http_url: Callable[[int], str]) -> None:
    result = probe(http_url(200).replace("http://", "https://"), timeout=ANSWERS)

    assert (result.kind, result.healthy, result.status) == ("http", False, None)
    assert result.detail.startswith("TLS error")


@pytest.mark.parametrize("target", ["no-port", "db.internal:", "db.internal:99999", ":5432"])
def test_malformed_target_is_down_not_an_exception(target: str) -> None:
    result = probe(target, timeout=ANSWERS)

    assert (result.healthy, result.detail) == (False, "not host:port or an http(s) URL")


def test_probe_all_keeps_the_order_of_targets(
    http_url: Callable[[int], str], tcp_target: str, closed_port: int
) -> None:
    targets = [http_url(500), f"127.0.0.1:{closed_port}", tcp_target, http_url(200)]

    results = probe_all(targets, timeout=ANSWERS)

    assert [r.target for r in results] == targets
    assert [r.detail for r in results] == [
        "HTTP 500",
        "connection refused",
        "connected",
        "HTTP 200",
    ]


def test_probe_all_waits_about_one_timeout_for_many_slow_targets(tcp_target: str) -> None:
    targets = [f"http://{tcp_target}/slow/{n}" for n in range(5)]
    started = time.perf_counter()

    results = probe_all(targets, timeout=SHORT)

    assert time.perf_counter() - started < 1.2  # one after another would take 1.5 s
    assert [r.target for r in results] == targets
    assert {r.detail for r in results} == {"timed out after 0.3 s"}


def test_probe_all_of_nothing_is_nothing() -> None:
    assert probe_all([]) == []


@pytest.fixture
def hung_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every probe hang past its timeout, as one stuck in name resolution does."""
    release = threading.Event()

    def stuck(target: str, timeout: float = 2.0) -> ProbeResult:
        release.wait()
        return ProbeResult(target, "tcp", True, 1.0, None, "connected")

    monkeypatch.setattr(probes, "probe", stuck)
    yield
    release.set()


@pytest.mark.usefixtures("hung_probe")
def test_probe_all_gives_up_on_probes_that_overrun_their_timeout() -> None:
    started = time.perf_counter()

    results = probe_all(["db.internal:5432", "http://api.internal/"], timeout=0.1, workers=1)

    assert time.perf_counter() - started < 2.0
    assert [(r.kind, r.healthy, r.detail) for r in results] == [
        ("tcp", False, "timed out after 0.1 s"),
        ("http", False, "not probed: no worker free in time"),
    ]


def result(target: str, healthy: bool = True) -> ProbeResult:
    if healthy:
        return ProbeResult(target, "tcp", True, 0.42, None, "connected")
    return ProbeResult(target, "tcp", False, None, None, "connection refused")


def test_table_is_a_code_block_with_a_row_per_result() -> None:
    text = table([result("db.internal:5432"), result("http://api.internal/health", False)])

    lines = text.splitlines()
    assert lines[0] == lines[-1] == "```"
    assert re.fullmatch(r"OK +db\.internal:5432 +0\.4 ms +connected", lines[1])
    assert re.fullmatch(r"DOWN +http://api\.internal/health +- +connection refused", lines[2])


def test_table_latency_is_rounded_to_what_matters() -> None:
    slow = ProbeResult("http://api.internal/", "http", True, 1234.5, 200, "HTTP 200")

    assert "1,234 ms" in table([slow])


def test_table_escapes_slack_control_characters() -> None:
    text = table([result("http://api.internal/?a=<b>&c", False)])

    assert "http://api.internal/?a=&lt;b&gt;&amp;c" in text
    assert "<" not in text and ">" not in text


def test_table_cuts_long_lines() -> None:
    long = "http://api.internal/" + "x" * 300
    detail = "TLS error: " + "y" * 300

    text = table([ProbeResult(long, "http", False, None, None, detail)])

    row = text.splitlines()[1]
    assert len(row) <= probes.LINE_WIDTH
    assert "http://api.internal/xxx" in row and row.endswith("…")


def test_table_of_many_targets_stays_under_the_slack_limit() -> None:
    results = [result(f"service-{n}.internal:5432", healthy=n % 3 != 0) for n in range(500)]

    text = table(results)

    assert len(text) <= probes.TABLE_LIMIT
    assert text.endswith("\n```")
    rows = text.splitlines()[1:-2]
    more = re.fullmatch(r"… and (\d+) more \((\d+) DOWN\)", text.splitlines()[-2])
    assert more is not None
    assert len(rows) + int(more[1]) == len(results)
    assert int(more[2]) == sum(not r.healthy for r in results[len(rows) :])
    assert all(r.target in row for r, row in zip(results, rows, strict=False))


def test_table_of_a_few_targets_is_not_cut() -> None:
    results = [result(f"service-{n}.internal:5432") for n in range(10)]

    text = table(results)

    assert "more" not in text
    assert all(r.target in text for r in results)


def test_table_of_nothing_says_so() -> None:
    assert table([]) == "```\nno dependencies to probe\n```"
