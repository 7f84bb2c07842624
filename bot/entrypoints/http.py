"""The HTTP face: Slack's endpoint, health, readiness and metrics, served by waitress.

Slack's POSTs to /slack/events are answered by ``SlackEvents``, a plain WSGI app in front of
Flask: Flask's request context, routing and request and response objects cost about as much
CPU as everything else in an acknowledgement, and answering Slack needs none of them. The
answer is the one Flask gave: the same status line, headers and body. Everything else is
Flask's.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from flask import Flask, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from waitress.server import TcpWSGIServer, create_server
from werkzeug.exceptions import InternalServerError
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_input_stream

from bot.adapters.slack.inbound import INTERACTIVE_KINDS, Answer, SlackDoor
from bot.entrypoints import logs
from bot.entrypoints.app import Runtime

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
SLACK_EVENTS = "/slack/events"
FLASK_DEFAULT_TYPE = "text/html; charset=utf-8"  # Flask's, for an answer that names none
# Slack's payloads are a few KB (a form's state, an event): a larger body is refused 413 unread.
SLACK_BODY_LIMIT = 1_048_576
# Any request's body, webhooks among them: waitress refuses a larger one 413 before the app.
BODY_LIMIT = 16 * 1_048_576


def request_kind(body: bytes, mimetype: str) -> str:
    """command, action, view or event: what Slack sent, for the metrics (read again from the
    body: for a request the door refused before it read the body)."""
    if mimetype == "application/json":
        return "event"
    form = parse_qs(body.decode("utf-8", "replace"))
    if "command" in form:
        return "command"
    try:
        payload = json.loads(form.get("payload", ["{}"])[0])
    except ValueError:
        return "unknown"
    kind = payload.get("type") if isinstance(payload, dict) else None
    return INTERACTIVE_KINDS.get(str(kind), "unknown")


def outcome(status: int) -> str:
    if status in (401, 403):
        return "refused"
    return "ok" if status < 400 else "error"


def count(runtime: Runtime, kind: str, status: int, started: float) -> None:
    """One request answered: its time since ``started`` (``time.perf_counter``) and outcome."""
    runtime.metrics.request_seconds.labels(kind).observe(time.perf_counter() - started)
    runtime.metrics.requests.labels(kind, outcome(status)).inc()


def timed(runtime: Runtime, handle: Callable[[], tuple[Response, str]]) -> Response:
    """``handle``'s response (and the request's kind, for the metrics), with a request id bound
    for its log lines and the work it sets off, its time and outcome counted."""
    started = time.perf_counter()
    with logs.bound(request_id=logs.request_id()):  # on every line, and in the work it sets off
        response, label = handle()
    count(runtime, label, response.status_code, started)
    return response


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """The request's headers, lower-cased (the ones werkzeug's ``request.headers`` holds)."""
    found = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            found[key.replace("_", "-").lower()] = environ[key]
    return found


def _status_line(status: int) -> str:
    """The status line werkzeug writes for ``status``."""
    reason = HTTP_STATUS_CODES.get(status)
    return f"{status} {reason.upper()}" if reason else f"{status} UNKNOWN"


class SlackEvents:
    """Slack's POSTs as a WSGI app: each answered by the runtime's ``SlackDoor`` under a
    request id of its own (on its log lines and in the work it sets off), its time and outcome
    counted. An exception is logged and answered 500, as Flask does."""

    def __init__(self, runtime: Runtime) -> None:
        secret = runtime.settings.slack_signing_secret
        assert secret is not None  # the runtime is built only with one
        self.runtime = runtime
        self.door = SlackDoor(runtime.bolt, secret.get_secret_value())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        with logs.bound(request_id=logs.request_id()):  # on every line, and in the work it sets off
            try:
                body = _body(environ)
                if body is None:
                    return _too_large(self.runtime, environ, start_response, started)
                mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
                answer = self.door.answer(body, _headers(environ), mimetype)
            except Exception:
                path = environ.get("PATH_INFO", "")
                log.exception(f"Exception on {path} [{environ.get('REQUEST_METHOD')}]")
                return InternalServerError()(environ, start_response)
        count(self.runtime, answer.kind or request_kind(body, mimetype), answer.status, started)
        data = answer.body.encode("utf-8")
        start_response(_status_line(answer.status), _response_headers(answer, len(data)))
        return [data]


def _body(environ: WSGIEnvironment) -> bytes | None:
    """The request's body, or None, unread, if it is (or says it is) over SLACK_BODY_LIMIT."""
    said = str(environ.get("CONTENT_LENGTH") or "")
    if said.isdigit() and int(said) > SLACK_BODY_LIMIT:
        return None
    body = get_input_stream(environ, max_content_length=None).read(SLACK_BODY_LIMIT + 1)
    return body if len(body) <= SLACK_BODY_LIMIT else None


def _too_large(
    runtime: Runtime, environ: WSGIEnvironment, start_response: StartResponse, started: float
) -> Iterable[bytes]:
    """413 for a body no Slack payload is, with one log line."""
    log.warning(
        "refused a request body over the limit",
        extra={"length": environ.get("CONTENT_LENGTH"), "limit": SLACK_BODY_LIMIT},
    )
    count(runtime, "unknown", 413, started)
    data = b"request body too large"
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    start_response(_status_line(413), headers)
    return [data]


def _response_headers(answer: Answer, length: int) -> list[tuple[str, str]]:
    """The answer's headers as Flask sends them: its content type (Flask's default if it names
    none), each header as often as it is given, and the body's length."""
    headers = [(name, value) for name, values in answer.headers.items() for value in values]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", FLASK_DEFAULT_TYPE))
    headers.append(("Content-Length", str(length)))
    return headers


def wsgi_app(runtime: Runtime) -> WSGIApplication:
    """What waitress serves: POST /slack/events answered by ``SlackEvents``, everything else
    (other methods on /slack/events among it) by ``web_app``."""
    slack = SlackEvents(runtime)
    flask = web_app(runtime, slack)

    def front(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == SLACK_EVENTS and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        return flask(environ, start_response)

    return front


def web_app(runtime: Runtime, slack: SlackEvents | None = None) -> Flask:
    """The Flask app: every route, /slack/events answered by ``slack`` (default: one of its
    own), as ``wsgi_app`` answers Slack's POSTs without Flask."""
    app = Flask("incident-bot")
    slack_app = slack or SlackEvents(runtime)

    @app.post(SLACK_EVENTS)
    def slack_events() -> BaseResponse:
        return BaseResponse.from_app(slack_app, request.environ)

    def webhook(receive: Callable[[bytes, dict[str, str]], tuple[int, dict[str, Any]]]) -> Response:
        def handle() -> tuple[Response, str]:
            headers = {name.lower(): value for name, value in request.headers.items()}
            status, body = receive(request.get_data(), headers)
            return Response(json.dumps(body), status=status, mimetype="application/json"), "webhook"

        return timed(runtime, handle)

    @app.post("/webhooks/deploy")
    def deploy_webhook() -> Response:
        return webhook(runtime.deploy_intake.receive)

    @app.post("/webhooks/alertmanager")
    def alertmanager_webhook() -> Response:
        return webhook(runtime.alert_intake.receive)

    @app.post("/webhooks/github")
    @app.post("/webhooks/jira", endpoint="jira_webhook")
    def tracker_webhook() -> Response:
        return webhook(runtime.tracker_intake.receive)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Response:
        checks = runtime.health.checks()
        ready = all(check.ok for check in checks.values())
        body = {
            "ready": ready,
            "failing": sorted(name for name, check in checks.items() if not check.ok),
            "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
        }
        return Response(json.dumps(body), status=200 if ready else 503, mimetype="application/json")

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    return app


class Server:
    """waitress on HOST:PORT in a thread of its own, so tests and ``serve`` share one path."""

    def __init__(self, runtime: Runtime, host: str, port: int, threads: int = 16) -> None:
        wsgi = create_server(
            wsgi_app(runtime),
            host=host,
            port=port,
            threads=threads,
            clear_untrusted_proxy_headers=True,
            max_request_body_size=BODY_LIMIT,
        )
        assert isinstance(wsgi, TcpWSGIServer)  # one host and port: one TCP socket
        self.wsgi = wsgi
        self.stopping = threading.Event()
        self._closing = threading.Lock()  # the loop's sockets (its wake-up pipe among them)
        self._closed = False
        self.thread = threading.Thread(target=self._serve, name="http", daemon=True)

    def _serve(self) -> None:
        # waitress's own run() loops until its sockets close, and closing them from another
        # thread races its select(); so loop here, and close from this thread when told to stop.
        # stop() wakes the select() through waitress's trigger, so the loop needs no short poll.
        sockets = self.wsgi._map  # type: ignore[attr-defined]  # the listener and connections
        timeout = self.wsgi.adj.asyncore_loop_timeout
        try:
            while not self.stopping.is_set():
                self.wsgi.asyncore.loop(timeout=timeout, map=sockets, count=1)
        finally:
            self.wsgi.task_dispatcher.shutdown()
            with self._closing:
                for channel in list(sockets.values()):
                    channel.close()
                self._closed = True

    @property
    def url(self) -> str:
        host, port = self.wsgi.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self._closing:
            if not self._closed:  # its pipe is still open: wake the select() to see stopping
                self.wsgi.pull_trigger()
        self.thread.join(timeout=5)
