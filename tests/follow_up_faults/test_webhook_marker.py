"""the GitHub webhook takes the first `incident-bot:N:M` anywhere in the issue's body, not the
bot's own hidden `<!-- incident-bot:N:M -->` marker: an issue whose body also quotes another
follow-up's marker (a note pasted from the other issue, or the follow-up's own words) is not
closed here when it is closed on GitHub (202 "no such follow-up"); and a huge nested JSON body
(signed) answers 500.
"""

from __future__ import annotations

import json
from typing import cast

from bot.adapters import signing
from bot.entrypoints.webhooks.trackers import TrackerIntake
from bot.services.follow_ups import FollowUps

SECRET = "s3cret"


class Closing:
    def __init__(self) -> None:
        self.closed: list[tuple[int, int]] = []

    def closed_in_tracker(self, incident_id, number, state, key=None, closed_at=None) -> bool:
        self.closed.append((incident_id, number))
        return True


def deliver(payload: bytes) -> tuple[int, Closing]:
    closing = Closing()
    headers = {"x-hub-signature-256": signing.sign(payload, SECRET), "x-github-event": "issues"}
    status, _ = TrackerIntake(cast(FollowUps, closing), SECRET).receive(payload, headers)
    return status, closing


def test_the_bots_own_hidden_marker_names_the_follow_up() -> None:
    body = (
        "Follow-up 1 of Sev1 incident 7: checkout 500s\n\nsame as incident-bot:3:2, but for "
        "refunds\n\nDue 2026-12-15 23:59 UTC. Owner in Slack: bob.\n\n<!-- incident-bot:7:1 -->"
    )
    issue = {"number": 12, "state_reason": "completed", "body": body}
    payload = {"action": "closed", "issue": issue, "repository": {"full_name": "acme/checkout"}}
    _status, closing = deliver(json.dumps(payload).encode())
    assert closing.closed == [(7, 1)]


def test_a_deeply_nested_body_is_not_a_500() -> None:
    status, _ = deliver(b"[" * 100_000 + b"]" * 100_000)
    assert status == 400
