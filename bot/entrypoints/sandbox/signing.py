"""Requests to the bot signed and shaped the way Slack sends them (signing secret, v0)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEAM_ID = "T0000STUB"
APP_ID = "A0000STUB"
BOT_USER_ID = "U0000BOT"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated; Slack still sends it

_ids = itertools.count(1)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The `X-Slack-Request-Timestamp` and `X-Slack-Signature` headers for `body`."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def slash_command_body(
    command: str = "/incident",
    text: str = "",
    *,
    user_id: str = "U0000ALICE",
    user_name: str = "alice",
    channel_id: str = "C0000GENERAL",
    channel_name: str = "general",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> bytes:
    """A slash command POST body, form-encoded with the fields in Slack's order."""
    n = next(_ids)
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "stub",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/{n}/stub",
        "trigger_id": trigger_id or f"{n}.{n}.stubtrigger",
    }
    return urlencode(fields).encode("utf-8")


def interactivity_body(payload: dict[str, Any]) -> bytes:
    """A block action / view submission / shortcut POST body: form-encoded `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> bytes:
    """An Events API `event_callback` envelope around `event`, as JSON."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [_authorization(team_id)],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode("utf-8")


def _authorization(team_id: str) -> dict[str, Any]:
    return {
        "enterprise_id": None,
        "team_id": team_id,
        "user_id": BOT_USER_ID,
        "is_bot": True,
        "is_enterprise_install": False,
    }


def post(
    url: str,
    body: bytes,
    content_type: str,
    secret: str,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """POST a signed body over real HTTP; return status, headers and body, errors included."""
    headers = {"Content-Type": content_type, **sign(body, secret, timestamp)}
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, **(extra_headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()
