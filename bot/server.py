"""The HTTP face: Slack's single endpoint and the health check, served by waitress."""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, jsonify, request
from slack_bolt.adapter.flask import SlackRequestHandler
from waitress.server import TcpWSGIServer, create_server

from bot.app import Runtime

log = logging.getLogger(__name__)


def web_app(runtime: Runtime) -> Flask:
    app = Flask("incident-bot")
    slack = SlackRequestHandler(runtime.bolt)

    @app.post("/slack/events")
    def slack_events() -> Response:
        response: Response = slack.handle(request)
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

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
        self.thread = threading.Thread(target=self._serve, name="http", daemon=True)

    def _serve(self) -> None:
        # waitress's own run() loops until its sockets close, and closing them from another
        # thread races its select(); so loop here, and close from this thread when told to stop.
        sockets = self.wsgi._map  # type: ignore[attr-defined]  # the listener and connections
        try:
            while not self.stopping.is_set():
                self.wsgi.asyncore.loop(timeout=0.2, map=sockets, count=1)
        finally:
            self.wsgi.task_dispatcher.shutdown()
            for channel in list(sockets.values()):
                channel.close()

    @property
    def url(self) -> str:
        host, port = self.wsgi.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
