"""An issue transferred to another repository: GitHub answers 301 Moved Permanently with the
new address in Location (docs.github.com/rest/issues/issues#get-an-issue; "This and all future
requests to this resource should be directed to the new URI"). Closing its follow-up here
must close it there, or at least be a refusal the channel hears; it must not be a
passing failure retried every few minutes for ever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bot.adapters.trackers.github import GitHubIssues
from bot.core.follow_ups import FollowUpState
from bot.services.trackers import TrackerUnavailable

OLD = "/repos/acme/checkout/issues/12"
NEW = "/repositories/99/issues/3"


class Moved(BaseHTTPRequestHandler):
    state: ClassVar[dict[str, str | None]] = {"state": "open"}

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length)) if length else None
        if self.path == OLD:
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}{NEW}")
            body = json.dumps({"message": "Moved Permanently", "url": NEW}).encode()
        elif self.path == NEW:
            if self.command == "PATCH" and isinstance(sent, dict):
                Moved.state = {"state": sent["state"], "state_reason": sent.get("state_reason")}
            self.send_response(200)
            item = {"number": 3, "html_url": "https://github.com/acme/payments/issues/3"}
            body = json.dumps({**item, **Moved.state}).encode()
        else:
            self.send_response(404)
            body = b'{"message": "Not Found"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PATCH = _answer


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_transferred_issue_is_read_and_closed_at_its_new_address(api: str) -> None:
    github = GitHubIssues("t0ken", api)
    assert github.get("acme/checkout#12").state is FollowUpState.OPEN  # GET follows the 301
    try:
        github.close("acme/checkout#12", FollowUpState.DONE)
    except TrackerUnavailable as failure:
        pytest.fail(
            f"close raised {failure!s} (lasting={failure.lasting}): a follow-up done here "
            "whose issue was transferred is retried for ever and nobody is told"
        )
    assert Moved.state["state"] == "closed"
