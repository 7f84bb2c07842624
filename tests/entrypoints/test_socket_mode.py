"""Over Socket Mode, each request binds a request id of its own, as the HTTP server does."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltResponse

from bot.entrypoints import logs, socket_mode


def test_each_socket_mode_request_binds_its_own_request_id() -> None:
    seen: list[Any] = []

    def handle() -> BoltResponse:
        seen.append(dict(logs._CONTEXT.get()).get("request_id"))
        return BoltResponse(status=200, body="")

    for _ in range(2):
        assert socket_mode._with_request_id(handle).status == 200
    assert all(isinstance(found, str) and len(found) == 16 for found in seen)
    assert seen[0] != seen[1]
    assert "request_id" not in logs._CONTEXT.get()  # unbound once the request is over
