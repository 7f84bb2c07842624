"""Parsing Prometheus Alertmanager's webhook payload (version 4) into validated alerts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType

from bot.core.alerts import Alert, is_critical

__all__ = ["Alert", "InvalidPayload", "is_critical", "parse"]

# Go's zero time.Time: Alertmanager's way of saying "not set".
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<fraction>\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
_STATUSES = ("firing", "resolved")


class InvalidPayload(ValueError):
    """A payload that is not an Alertmanager webhook; the message starts with the field path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def parse(payload: object, service_label: str = "service") -> list[Alert]:
    """The alerts in a webhook payload, or InvalidPayload naming the first bad field."""
    body = _object(payload, "payload")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidPayload("alerts", "missing" if alerts is None else "expected a list")
    return [_alert(item, f"alerts[{index}]", service_label) for index, item in enumerate(alerts)]


def _alert(item: object, path: str, service_label: str) -> Alert:
    raw = _object(item, path)
    labels = _strings(raw.get("labels"), f"{path}.labels")
    annotations = _strings(raw.get("annotations", {}), f"{path}.annotations")
    name = labels.get("alertname")
    if not name:
        raise InvalidPayload(f"{path}.labels.alertname", "missing" if name is None else "empty")
    status = raw.get("status")
    if not isinstance(status, str) or status not in _STATUSES:
        raise InvalidPayload(f"{path}.status", 'expected "firing" or "resolved"')
    return Alert(
        fingerprint=_string(raw.get("fingerprint"), f"{path}.fingerprint"),
        status=status,
        name=name,
        # Prometheus treats an empty label value as an absent label.
        severity=labels.get("severity") or None,
        service=labels.get(service_label) or None,
        summary=_summary(annotations, name),
        labels=MappingProxyType(labels),
        starts_at=_time(raw.get("startsAt"), f"{path}.startsAt"),
        ends_at=_optional_time(raw.get("endsAt"), f"{path}.endsAt"),
        url=_optional_string(raw.get("generatorURL"), f"{path}.generatorURL"),
    )


def _summary(annotations: Mapping[str, str], name: str) -> str:
    for key in ("summary", "description"):
        text = annotations.get(key, "").strip()
        if text:
            return text
    return name


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidPayload(path, "expected an object")
    return value


def _strings(value: object, path: str) -> dict[str, str]:
    if value is None:
        raise InvalidPayload(path, "missing")
    strings: dict[str, str] = {}
    for key, text in _object(value, path).items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise InvalidPayload(f"{path}.{key}", "expected a string")
        strings[key] = text
    return strings


def _string(value: object, path: str) -> str:
    if value is None:
        raise InvalidPayload(path, "missing")
    if not isinstance(value, str) or not value:
        raise InvalidPayload(path, "expected a non-empty string")
    return value


def _optional_string(value: object, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidPayload(path, "expected a string")
    return value


def _optional_time(value: object, path: str) -> datetime | None:
    if value is None:
        return None
    parsed = _time(value, path)
    return None if parsed == _ZERO_TIME else parsed


def _time(value: object, path: str) -> datetime:
    if value is None:
        raise InvalidPayload(path, "missing")
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidPayload(path, "expected an RFC 3339 time")
    # Go sends nanoseconds; datetime holds microseconds, so the rest is dropped.
    fraction = (match["fraction"] or "")[:7]
    offset = "+00:00" if match["offset"] in ("Z", "z") else match["offset"]
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{offset}")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. month 13, or year 1 moved before year 1
        raise InvalidPayload(path, "expected an RFC 3339 time") from None
