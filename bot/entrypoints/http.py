"""The HTTP face: Slack's endpoint, health, readiness and metrics, served by waitress."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, Request, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from waitress.server import TcpWSGIServer, create_server

from bot.adapters.slack.inbound import INTERACTIVE_KINDS, SlackDoor
from bot.entrypoints import logs
from bot.entrypoints.app import Runtime

log = logging.getLogger(__name__)


def request_kind(incoming: Request) -> str:
    """command, action, view or event: what Slack sent, for the metrics (read again from the
    body: for a request the door refused before it read the body)."""
    body = incoming.get_data(cache=True)
    if incoming.mimetype == "application/json":
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


def timed(runtime: Runtime, handle: Callable[[], tuple[Response, str]]) -> Response:
    """``handle``'s response (and the request's kind, for the metrics), with a request id bound
    for its log lines and the work it sets off, its time and outcome counted."""
    started = time.perf_counter()
    with logs.bound(request_id=logs.request_id()):  # on every line, and in the work it sets off
        response, label = handle()
    runtime.metrics.request_seconds.labels(label).observe(time.perf_counter() - started)
    runtime.metrics.requests.labels(label, outcome(response.status_code)).inc()
    return response


def web_app(runtime: Runtime) -> Flask:
    app = Flask("incident-bot")
    secret = runtime.settings.slack_signing_secret
    assert secret is not None  # the runtime is built only with one
    door = SlackDoor(runtime.bolt, secret.get_secret_value())

    def answer_slack() -> tuple[Response, str]:
        answer = door.answer(request.get_data(), dict(request.headers), request.mimetype)
        response = Response(answer.body, status=answer.status)
        for name, values in answer.headers.items():
            if name.lower() == "content-type":
                response.headers.pop("content-type", None)
            for value in values:
                response.headers.add(name, value)
        return response, answer.kind or request_kind(request)

    @app.post("/slack/events")
    def slack_events() -> Response:
        return timed(runtime, answer_slack)

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
            web_app(runtime),
            host=host,
            port=port,
            threads=threads,
            clear_untrusted_proxy_headers=True,
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
