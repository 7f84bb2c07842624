"""Calling a team's webhook (e.g. a rollback hook), signed like the ones we receive."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from bot.adapters import signing

# (url, payload, secret) -> (succeeded, what happened)
Poster = Callable[[str, dict[str, Any], str], tuple[bool, str]]


def post_signed(
    url: str, payload: dict[str, Any], secret: str, timeout: float = 10.0
) -> tuple[bool, str]:
    """POST ``payload`` as JSON with X-Signature-256; (succeeded, what happened) — never raises."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL comes from the service catalog
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Signature-256": signing.sign(body, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        with error:
            return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return False, f"could not reach it ({reason})"
