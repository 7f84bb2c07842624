"""Tracker webhooks: an issue closed in GitHub or resolved in Jira closes its follow-up: done,
or dropped when it was closed as not planned (GitHub's ``state_reason``; Jira's resolution).

GitHub's deliveries come as ``application/json`` or, its default, as
``application/x-www-form-urlencoded`` with the JSON in the form field ``payload``; both are
taken. Both trackers' are signed with the tracker webhook secret (``X-Hub-Signature-256`` from
GitHub, ``X-Hub-Signature`` from a Jira Cloud webhook with a secret: ``sha256=<HMAC of the
body as sent>``). A repository is named in any case (GitHub's names are case-insensitive).
The follow-up is found by the marker the bot filed the issue with (GitHub: in its body; Jira:
a label) and must be linked to that very issue, so a marker copied into another issue does
nothing. The timer's polling is the fallback when a webhook is lost.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from bot.adapters import signing
from bot.adapters.trackers.github import closed_as
from bot.adapters.trackers.http import moment
from bot.adapters.trackers.jira import closed_time, state_of
from bot.core.follow_ups import FollowUpState
from bot.services.follow_ups import FollowUps
from bot.services.ports import StorageUnavailable

log = logging.getLogger(__name__)
Answer = tuple[int, dict[str, Any]]
MARKER = re.compile(r"incident-bot[:-](\d{1,9})[:-](\d{1,6})")
HIDDEN_MARKER = re.compile(r"<!-- incident-bot:(\d{1,9}):(\d{1,6}) -->")
"""The marker the bot writes at the end of an issue's body (a copy quoted above it is not it)."""


class TrackerIntake:
    def __init__(self, follow_ups: FollowUps, secret: str | None) -> None:
        self.follow_ups = follow_ups
        self.secret = secret

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """One delivery (header names lowercase): 2xx once handled or ignored, 4xx when it
        is not a signed tracker event."""
        if not self.secret:
            return 503, {"error": "TRACKER_WEBHOOK_SECRET is not set; tracker webhooks are off"}
        signature = headers.get("x-hub-signature-256") or headers.get("x-hub-signature")
        if not signing.verify(body, signature, self.secret):
            return 401, {"error": "bad or missing X-Hub-Signature-256 (sha256=<HMAC of the body>)"}
        data = _payload(body, headers.get("content-type", ""))
        if not isinstance(data, dict):
            return 400, {
                "error": "body: expected a JSON object (application/json), or one in the "
                "form field payload (application/x-www-form-urlencoded)"
            }
        closed = _github(data, headers) if "x-github-event" in headers else _jira(data)
        if closed is None:
            return 202, {"ignored": "not an issue closed by the bot's follow-ups"}
        key, incident_id, number, state, closed_at = closed
        try:
            found = self.follow_ups.closed_in_tracker(incident_id, number, state, key, closed_at)
        except StorageUnavailable:
            return 503, {"error": "the database is unavailable; deliver it again"}
        return (200, {"done": True}) if found else (202, {"ignored": "no such follow-up"})


def _payload(body: bytes, content_type: str) -> object:
    """The delivery's JSON: the body itself (``application/json``), or the form field
    ``payload`` of a form-encoded body (``application/x-www-form-urlencoded``, GitHub's default
    content type: docs.github.com, "Webhook events and payloads", delivery headers); None when
    it holds none. The signature was checked over the body as sent, before this."""
    try:
        if content_type.split(";")[0].strip().lower() == FORM:
            fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=50)
            body = (fields.get("payload") or [""])[-1].encode()
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


FORM = "application/x-www-form-urlencoded"
Closed = tuple[str, int, int, FollowUpState, datetime | None]
"""The issue's key, the incident, the follow-up's number, how and when it was closed."""
JIRA_EVENTS = frozenset({"jira:issue_updated"})
"""The only Jira webhook event that closes an issue (deleting one is not doing it)."""


def _github(data: Mapping[str, Any], headers: Mapping[str, str]) -> Closed | None:
    issue = data.get("issue")
    repo = data.get("repository")
    if headers.get("x-github-event") != "issues" or data.get("action") != "closed":
        return None
    if not isinstance(issue, dict) or not isinstance(repo, dict):
        return None
    markers = HIDDEN_MARKER.findall(str(issue.get("body") or ""))
    if not markers or not isinstance(issue.get("number"), int):
        return None
    incident, number = markers[-1]
    key = f"{repo.get('full_name')}#{issue['number']}"
    state = closed_as(issue.get("state_reason"))
    return key, int(incident), int(number), state, moment(issue.get("closed_at"))


def _jira(data: Mapping[str, Any]) -> Closed | None:
    issue = data.get("issue")
    if data.get("webhookEvent") not in JIRA_EVENTS:
        return None
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
        return None
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    state = state_of(fields)
    if state is FollowUpState.OPEN:
        return None
    labels = fields.get("labels", []) if isinstance(fields, dict) else []
    for label in labels if isinstance(labels, list) else []:
        if found := MARKER.fullmatch(str(label)):
            closed_at = closed_time(fields)
            return issue["key"], int(found.group(1)), int(found.group(2)), state, closed_at
    return None
