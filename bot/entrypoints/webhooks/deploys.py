"""Deploy notifications: our JSON shape, or GitHub ``deployment_status`` events, into Deploys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.rollback import Deploy


class MalformedDeploy(ValueError):
    """A payload that is not a deploy; the message names the field and what was expected."""


@dataclass(frozen=True)
class Delivery:
    deploy: Deploy
    key: str
    """Identifies the delivery, so the same one twice is stored once."""
    source: str


@dataclass(frozen=True)
class Ignored:
    reason: str


def parse(body: bytes, headers: Mapping[str, str]) -> Delivery | Ignored:
    """Our payload, or a GitHub event when ``X-GitHub-Event`` says so (header names lowercase)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedDeploy("body: expected a JSON object") from None
    if not isinstance(data, dict):
        raise MalformedDeploy("body: expected a JSON object")
    event = headers.get("x-github-event")
    if event is not None:
        return _github(event, data, headers.get("x-github-delivery"), body)
    key = headers.get("x-delivery-id") or hashlib.sha256(body).hexdigest()
    return Delivery(_ours(data), f"webhook:{key}", "webhook")


def _text(data: Mapping[str, Any], field: str, *, required: bool = True, path: str = "") -> str:
    value = data.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise MalformedDeploy(f"{path}{field}: expected a non-empty string (at most 200 chars)")
    return value.strip()


def time(value: object, field: str) -> datetime:
    """An RFC 3339 / ISO 8601 time with a zone, as aware UTC."""
    if not isinstance(value, str):
        raise MalformedDeploy(f"{field}: expected a time like 2026-11-26T03:14:00Z")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedDeploy(f"{field}: expected a time like 2026-11-26T03:14:00Z") from None
    if moment.tzinfo is None:
        raise MalformedDeploy(f"{field}: the time needs a zone (Z or +00:00)")
    return moment.astimezone(UTC)


def _ours(data: Mapping[str, Any]) -> Deploy:
    unknown = sorted(
        set(data)
        - {"service", "version", "environment", "deployer", "finished_at", "commit", "url"}
    )
    if unknown:
        raise MalformedDeploy(f"{unknown[0]}: not a deploy field")
    return Deploy(
        service=_text(data, "service").lower(),
        version=_text(data, "version"),
        environment=_text(data, "environment"),
        deployer=_text(data, "deployer"),
        finished_at=time(data.get("finished_at"), "finished_at"),
        commit=_text(data, "commit", required=False) or None,
        url=_text(data, "url", required=False) or None,
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _github(
    event: str, data: Mapping[str, Any], delivery: str | None, body: bytes
) -> Delivery | Ignored:
    if event == "ping":
        return Ignored("ping")
    if event != "deployment_status":
        return Ignored(f"{event} events are not deploys")
    status = data.get("deployment_status")
    deployment = data.get("deployment")
    if not isinstance(status, dict) or not isinstance(deployment, dict):
        raise MalformedDeploy("deployment_status, deployment: expected objects")
    if status.get("state") != "success":
        return Ignored(f"deployment state {status.get('state')!r} is not a finished deploy")
    payload, repository = _object(deployment.get("payload")), _object(data.get("repository"))
    service = payload.get("service") or repository.get("name")
    creator = _object(deployment.get("creator"))
    deploy = Deploy(
        service=_text({"service": service}, "service", path="deployment.payload.").lower(),
        version=_text(deployment, "ref", path="deployment."),
        environment=_text(deployment, "environment", path="deployment."),
        deployer=str(creator.get("login") or "github"),
        finished_at=time(
            status.get("updated_at") or status.get("created_at"), "deployment_status.updated_at"
        ),
        commit=_text(deployment, "sha", required=False, path="deployment.") or None,
        url=str(status.get("target_url") or status.get("log_url") or "") or None,
    )
    key = delivery or hashlib.sha256(body).hexdigest()
    return Delivery(deploy, f"github:{key}", "github")
