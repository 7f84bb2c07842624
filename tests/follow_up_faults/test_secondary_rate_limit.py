"""GitHub's secondary rate limit (403, x-ratelimit-remaining not 0, retry-after) is taken
as a lasting refusal, so the follow-up is recorded refused and never filed until someone edits it.
GitHub docs (rate-limits-for-the-rest-api): a secondary limit answers 403 or 429 with a message,
retry-after may be present; x-ratelimit-remaining is 0 only for the primary limit.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.adapters.trackers.github import GitHubIssues
from bot.core.follow_ups import Destination
from bot.services.trackers import NewIssue, TrackerUnavailable


class SecondaryLimited(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = json.dumps(
            {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("retry-after", "60")
        self.send_header("x-ratelimit-remaining", "4321")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def github() -> object:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SecondaryLimited)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield GitHubIssues("t0ken", f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def test_a_secondary_rate_limit_is_not_a_lasting_refusal(github: GitHubIssues) -> None:
    with pytest.raises(TrackerUnavailable) as refused:
        github.open(
            Destination("github", "acme/checkout"), NewIssue("t", "b", "incident-bot:1:1", "")
        )
    assert "secondary rate limit" in str(refused.value)
    assert refused.value.lasting is False  # asking again in a minute will work
