"""JSON over HTTPS for the tracker adapters: one call, its status and body, failures in words.

Credentials travel in headers only and never reach a log line or an error message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.services.trackers import TrackerUnavailable

MOVED = frozenset({301, 302, 307, 308})
LASTING = frozenset({400, 401, 403, 404, 410, 422})
"""Statuses that asking again will not change (bad credentials, no such place, invalid)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def call(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: object | None = None,
    timeout: float = 10.0,
    tracker: str = "the tracker",
    redirects: int = 3,
) -> Answer:
    """Send one request; the answer for a 2xx, else TrackerUnavailable saying why (the
    tracker's own message when it gave one). A resource moved (GitHub's transferred issue:
    301, 307 or 308 with a Location) is asked again at its new address, the same request,
    on the same host only: the credentials never travel elsewhere."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the base URL is ours, from settings
        url,
        data=data,
        method=method,
        headers={**headers, **({"Content-Type": "application/json"} if data else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            return Answer(response.status, json.loads(raw) if raw else None)
    except urllib.error.HTTPError as refused:
        moved = urljoin(url, refused.headers.get("location") or "")
        if refused.code in MOVED and redirects > 0 and _same_origin(url, moved) and moved != url:
            refused.close()
            return call(method, moved, headers, body, timeout, tracker, redirects - 1)
        why = _message(refused.read())
        status = refused.code
        lasting = status in LASTING and not _rate_limited(status, refused.headers, why)
        raise TrackerUnavailable(
            f"{tracker} answered {status}{': ' + why if why else ''}", lasting, status
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as down:
        reason = getattr(down, "reason", down)
        raise TrackerUnavailable(f"{tracker} could not be reached: {reason}") from None


def _same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _rate_limited(status: int, headers: Message, why: str) -> bool:
    """GitHub's primary limit (403, no requests remaining) and its secondary one (403 with a
    ``retry-after`` or a message naming it); source: docs.github.com/en/rest/using-the-rest-api/
    rate-limits-for-the-rest-api. Both pass: asking later works."""
    if status not in (403, 429):
        return False
    return (
        headers.get("x-ratelimit-remaining") == "0"
        or headers.get("retry-after") is not None
        or "rate limit" in why.lower()
    )


def _message(raw: bytes) -> str:
    """The error's own words: GitHub's ``message``, Jira's ``errorMessages``/``errors``."""
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    if isinstance(body.get("message"), str):
        parts.append(body["message"])
    parts += [m for m in body.get("errorMessages", []) if isinstance(m, str)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {text}" for field, text in errors.items() if isinstance(text, str)]
    return "; ".join(parts)[:300]


def moment(text: object) -> datetime | None:
    """A time a tracker wrote (GitHub ``2026-03-20T09:55:00Z``, Jira
    ``2026-03-20T09:55:00.000+0000``), None if it wrote none or none that reads."""
    if not isinstance(text, str):
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
