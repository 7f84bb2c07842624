"""Socket Mode: Slack's requests over a websocket the bot opens, for a bot with no public URL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.adapters.slack import inbound
from bot.entrypoints import logs
from bot.entrypoints.app import Runtime

log = logging.getLogger(__name__)


def answer(bolt: App, request: SocketModeRequest) -> BoltResponse:
    """A request over the websocket, through the checks of the HTTP door but the signature
    (``inbound.dispatch``): NUL taken out, a malformed one refused (not acknowledged, one log
    line), the rest Bolt's."""
    headers = {name: str(value) for name, value in (build_headers(request) or {}).items()}
    said = inbound.dispatch(bolt, request.payload, headers)
    return BoltResponse(status=said.status, body=said.body, headers=dict(said.headers))


class _CheckedHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, each request answered through ``answer``."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time.time()
        send_response(client, req, answer(self.app, req), start)


def _with_request_id(next: Callable[[], BoltResponse]) -> BoltResponse:
    """Over HTTP the server binds each request's id; over the websocket, this does, so the
    lines a request causes carry it here too (the lazy work copies it)."""
    with logs.bound(request_id=logs.request_id()):
        return next()


def connect(runtime: Runtime) -> SocketModeHandler | None:
    """With SLACK_APP_TOKEN set, connect over Socket Mode (HTTP still serves health).

    The connection is opened in the background and retried until Slack accepts it, so a
    Slack outage at start-up delays requests instead of crash-looping the bot.
    """
    token = runtime.settings.slack_app_token
    if token is None:
        return None
    runtime.bolt.middleware(_with_request_id)
    handler = _CheckedHandler(runtime.bolt, token.get_secret_value())

    def connect() -> None:
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except Exception:
            log.exception(
                "could not open the Socket Mode connection; check SLACK_APP_TOKEN "
                "and that Socket Mode is on in the app's settings"
            )

    threading.Thread(target=connect, name="socket-mode", daemon=True).start()
    return handler
