"""Dependency health probes: TCP connects and HTTP GETs, run together, shown as a Slack table."""

from __future__ import annotations

import http.client
import math
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bot.services.probing import Prober as Prober
from bot.services.probing import ProbeResult as ProbeResult

# Slack rejects a section over 3,000 characters; keep clear of it.
TABLE_LIMIT = 2_900
LINE_WIDTH = 96
TARGET_WIDTH = 48
# Room kept for the "… and N more" line when the table is cut.
_MORE_RESERVE = 48
# How long probe_all waits past the probes' own timeouts (thread start-up, slow scheduling).
_GRACE = 0.5


def probe(target: str, timeout: float = 2.0) -> ProbeResult:
    """Check one dependency; every failure becomes an unhealthy result, nothing raises."""
    if target.lower().startswith(("http://", "https://")):
        return _probe_http(target, timeout)
    return _probe_tcp(target, timeout)


def probe_all(targets: Sequence[str], timeout: float = 2.0, workers: int = 8) -> list[ProbeResult]:
    """Probe every target concurrently; results come back in the order of `targets`."""
    if not targets:
        return []
    workers = max(1, min(workers, len(targets)))
    # Sockets honour the timeout, but name resolution does not: a hung resolver (a DNS
    # outage is a likely incident) must not hang the bot, so the wait itself is bounded.
    budget = math.ceil(len(targets) / workers) * timeout + _GRACE
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
    try:
        futures = [pool.submit(probe, target, timeout) for target in targets]
        wait(futures, timeout=budget)
        return [_outcome(t, f, timeout) for t, f in zip(targets, futures, strict=True)]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def table(results: Sequence[ProbeResult]) -> str:
    """A monospace table in a Slack code block, cut to fit one section."""
    if not results:
        return "```\nno dependencies to probe\n```"
    target_width = min(TARGET_WIDTH, max(len(r.target) for r in results))
    lines = [_escape(_cut(_row(r, target_width), LINE_WIDTH)) for r in results]
    shown = _fitting(lines, TABLE_LIMIT - len("```\n\n```"))
    body = lines[:shown]
    if shown < len(results):
        body.append(_more(results[shown:]))
    return "```\n" + "\n".join(body) + "\n```"


def _probe_tcp(target: str, timeout: float) -> ProbeResult:
    address = _host_port(target)
    if address is None:
        return _down(target, "tcp", "not host:port or an http(s) URL")
    started = time.perf_counter()
    try:
        with socket.create_connection(address, timeout=timeout):
            latency = _ms_since(started)
    except Exception as error:  # never raise: the caller is reporting on an incident
        return _down(target, "tcp", _describe(error, timeout))
    return ProbeResult(target, "tcp", True, latency, None, "connected")


def _probe_http(target: str, timeout: float) -> ProbeResult:
    request = urllib.request.Request(  # noqa: S310 -- the scheme is checked to be http(s)
        target, headers={"User-Agent": "incident-bot-probe"}, method="GET"
    )
    # No environment proxies: a proxy would answer for a dead dependency. No redirects:
    # a 3xx is the dependency answering, and following it could leave the timeout.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            return _http_result(target, response.status, _ms_since(started))
    except urllib.error.HTTPError as error:
        with error:
            return _http_result(target, error.code, _ms_since(started))
    except Exception as error:  # never raise: the caller is reporting on an incident
        return _down(target, "http", _describe(error, timeout))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _http_result(target: str, status: int, latency: float) -> ProbeResult:
    return ProbeResult(target, "http", 200 <= status < 400, latency, status, f"HTTP {status}")


def _down(target: str, kind: str, detail: str) -> ProbeResult:
    return ProbeResult(target, kind, False, None, None, detail)


def _host_port(target: str) -> tuple[str, int] | None:
    host, _, port = target.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdecimal() or not 0 < int(port) < 65_536:
        return None
    return host, int(port)


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, urllib.error.URLError):
        if not isinstance(error.reason, BaseException):
            return str(error.reason)
        error = error.reason
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout} s"
    if isinstance(error, socket.gaierror):
        return "name not resolved"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.RemoteDisconnected):
        return "closed without an HTTP response"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate rejected: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason}"
    if isinstance(error, http.client.HTTPException):
        return f"bad HTTP response ({type(error).__name__})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return f"{type(error).__name__}: {error}"


def _outcome(target: str, future: Future[ProbeResult], timeout: float) -> ProbeResult:
    if future.done():
        return future.result()
    kind = "http" if target.lower().startswith(("http://", "https://")) else "tcp"
    if future.cancel():
        return _down(target, kind, "not probed: no worker free in time")
    return _down(target, kind, f"timed out after {timeout} s")


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _row(result: ProbeResult, target_width: int) -> str:
    marker = "OK" if result.healthy else "DOWN"
    target = _cut(result.target, target_width).ljust(target_width)
    return f"{marker:<4}  {target}  {_latency(result.latency_ms):>8}  {result.detail}".rstrip()


def _latency(latency_ms: float | None) -> str:
    if latency_ms is None:
        return "-"
    return f"{latency_ms:.1f} ms" if latency_ms < 10 else f"{latency_ms:,.0f} ms"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fitting(lines: Sequence[str], limit: int) -> int:
    """How many lines fit in `limit` characters, leaving room for the "… and N more" line."""
    if sum(len(line) + 1 for line in lines) <= limit:
        return len(lines)
    used = 0
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > limit - _MORE_RESERVE:
            return count
    return len(lines)


def _more(hidden: Sequence[ProbeResult]) -> str:
    # Say how many of the hidden ones are down, so a cut never hides an outage.
    down = sum(not result.healthy for result in hidden)
    return f"… and {len(hidden)} more ({down} DOWN)"
