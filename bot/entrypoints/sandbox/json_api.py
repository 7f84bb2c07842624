"""A local stand-in for a JSON REST API over real HTTP: routes, recorded calls, injected faults.

The tracker stand-ins (``github_api``, ``jira_api``) are built on it: each route checks a
request the way the real service does (authentication, required fields, values) and answers
with the service's own status codes and error bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Json = Any
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Json
    params: Mapping[str, str] = field(default_factory=dict)
    """What the route's pattern captured."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Json = None


class Refused(Exception):
    """A request the service refuses: answered with ``answer``."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(status)
        self.answer = Answer(status, body)


Route = Callable[[Request], Answer]


class JsonApi:
    """Serves ``routes`` (method, path pattern) on 127.0.0.1 until ``stop()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[Request, Answer]] = []
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []
        self._faults: deque[Answer] = deque()
        self._lost: list[tuple[str, re.Pattern[str], Answer, bool]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self._routes.append((method, re.compile(pattern), handler))

    def fail_next(self, status: int, body: Json = None, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` and ``body``."""
        with self._lock:
            self._faults.extend([Answer(status, body)] * times)

    def lose_answer(
        self, method: str, path: str, status: int, body: Json = None, done: bool = True
    ) -> None:
        """Answer the next ``method`` request to a path matching ``path`` with ``status`` and
        ``body``: after doing it when ``done`` (a gateway timing out after the service did the
        work), else without doing it."""
        with self._lock:
            self._lost.append((method, re.compile(path), Answer(status, body), done))

    def _losing(self, method: str, path: str) -> tuple[Answer, bool] | None:
        """The lost answer the request is due, and whether it is done first; taken."""
        with self._lock:
            for at, (verb, pattern, answer, done) in enumerate(self._lost):
                if verb == method and pattern.fullmatch(path):
                    del self._lost[at]
                    return answer, done
        return None

    def requests(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r, _ in self.calls if method in (None, r.method)]

    def start(self) -> JsonApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                answer = api.handle(self.command, self.path, dict(self.headers.items()), raw)
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the access log out of the test output."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() it first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        url = urlsplit(target)
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._recorded(Request(method, url.path, {}, lowered, None), self.bad_json())
        request = Request(method, url.path, dict(parse_qsl(url.query)), lowered, body)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            return self._recorded(request, fault)
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(url.path)
            if verb == method and match:
                routed = Request(method, url.path, request.query, lowered, body, match.groupdict())
                lost = self._losing(method, url.path)
                if lost is not None and not lost[1]:
                    return self._recorded(routed, lost[0])
                try:
                    answer = handler(routed)
                except Refused as refused:
                    return self._recorded(routed, refused.answer)
                return self._recorded(routed, lost[0] if lost else answer)
        return self._recorded(request, self.not_found())

    def _recorded(self, request: Request, answer: Answer) -> Answer:
        with self._lock:
            self.calls.append((request, answer))
        return answer

    def bad_json(self) -> Answer:
        return Answer(400, {"message": "Problems parsing JSON"})

    def not_found(self) -> Answer:
        return Answer(404, {"message": "Not Found"})


def deliver_webhook(
    url: str,
    payload: object,
    secret: str,
    signature_header: str,
    form: bool = False,
    **headers: str,
) -> int:
    """POST ``payload`` as JSON to ``url``, signed as GitHub and Jira sign theirs
    (``sha256=<HMAC of the body>`` in ``signature_header``); the HTTP status it got. With
    ``form``, as GitHub's default content type sends it: the JSON in the form field
    ``payload`` of an ``application/x-www-form-urlencoded`` body, signed as sent."""
    body = json.dumps(payload).encode()
    kind = "application/json"
    if form:
        body, kind = urlencode({"payload": body.decode()}).encode(), FORM
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": kind, signature_header: signature, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code
