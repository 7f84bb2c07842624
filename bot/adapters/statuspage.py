"""The StatusPage port on Atlassian Statuspage's REST API v1 (its base URL a setting, so tests
and the sandbox use the stand-in, bot/entrypoints/sandbox/statuspage_api.py).

Requests: ``POST /pages/{page_id}/incidents`` opens, ``PATCH /pages/{page_id}/incidents/{id}``
updates and resolves (``components`` sets each component's status, ``operational`` at the
resolution), ``GET /pages/{page_id}/incidents/unresolved`` finds one opened by a request that
died. JSON bodies, ``Authorization: OAuth <key>``; the key is never logged.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from bot.core.status_page import PageIncident, PageStatus
from bot.services.status_page import PageFailure, PagePost, Reason

API_URL = "https://api.statuspage.io/v1"
TAG = "incident_bot"
"""The metadata key naming our incident on a page incident (a value must be an object)."""
NAME_LIMIT = 255  # characters, Statuspage's limit on an incident's name
BODY_LIMIT = 25000  # characters, on an update's body


def reason(status: int) -> Reason:
    """What an HTTP error status from Statuspage means."""
    if status in (401, 403):
        return Reason.UNAUTHORIZED
    if status == 404:
        return Reason.NOT_FOUND
    if status in (420, 429):
        return Reason.RATE_LIMITED
    if status >= 500:
        return Reason.UNAVAILABLE
    return Reason.REJECTED


class Statuspage:
    """One page of Atlassian Statuspage, through its REST API."""

    def __init__(self, page_id: str, api_key: str, url: str = API_URL, timeout: float = 10.0):
        self.base = f"{url.rstrip('/')}/pages/{quote(page_id, safe='')}"
        self._key = api_key
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Statuspage({self.base!r})"  # never the key

    def open(self, post: PagePost) -> PageIncident:
        fields = _incident(post)
        fields["metadata"] = {TAG: {"incident": post.tag}}
        fields["component_ids"] = list(post.components)
        return _page_incident(self._call("POST", "/incidents", {"incident": fields}))

    def update(self, page_incident: str, post: PagePost) -> PageIncident:
        path = f"/incidents/{quote(page_incident, safe='')}"
        fields = _incident(post)
        fields["component_ids"] = list(post.components)
        return _page_incident(self._call("PATCH", path, {"incident": fields}))

    def find(self, tag: str) -> PageIncident | None:
        found = self._call("GET", "/incidents/unresolved", None)
        if not isinstance(found, list):
            raise PageFailure(Reason.REJECTED, "an answer that is not a list of incidents", 200)
        for incident in found:
            metadata = incident.get("metadata") if isinstance(incident, dict) else None
            ours = metadata.get(TAG) if isinstance(metadata, dict) else None
            if isinstance(ours, dict) and ours.get("incident") == tag:
                return _page_incident(incident)
        return None

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"OAuth {self._key}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - the URL is ours, from settings
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                raise PageFailure(reason(error.code), _said(error.read()), error.code) from None
        except (urllib.error.URLError, OSError) as error:
            why = getattr(error, "reason", error)
            raise PageFailure(Reason.UNREACHABLE, str(why) or type(why).__name__) from None
        except ValueError:
            raise PageFailure(Reason.UNAVAILABLE, "an answer that is not JSON") from None


def _incident(post: PagePost) -> dict[str, Any]:
    return {
        "name": post.name[:NAME_LIMIT],
        "status": str(post.status),
        "body": post.body[:BODY_LIMIT],
        "components": {component: str(shows) for component, shows in post.components.items()},
    }


def _page_incident(answer: Any) -> PageIncident:
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
        raise PageFailure(Reason.UNAVAILABLE, "an answer without the incident's id")
    try:
        status = PageStatus(str(answer.get("status")))
    except ValueError:
        raise PageFailure(
            Reason.UNAVAILABLE, f"an unknown status {answer.get('status')!r}"
        ) from None
    return PageIncident(answer["id"], status, str(answer.get("shortlink") or ""))


def _said(body: bytes) -> str:
    """Statuspage's own words about an error (``{"message": ...}``, or ``{"error": ...}``)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip() or "no details"
    said = answer.get("message") or answer.get("error") if isinstance(answer, dict) else None
    if isinstance(said, list):
        said = "; ".join(str(s) for s in said)
    return str(said or "no details")[:300]
