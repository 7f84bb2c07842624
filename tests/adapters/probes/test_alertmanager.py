"""Alertmanager webhook payloads: a realistic one parsed, and malformed ones named by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.entrypoints.webhooks.alertmanager import Alert, InvalidPayload, is_critical, parse

ZERO_TIME = "0001-01-01T00:00:00Z"


def payload() -> dict[str, Any]:
    """What Alertmanager 0.27 posts: one alert firing for checkout, one resolved."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "incident-bot",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "env": "prod"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.internal:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "HighErrorRate",
                    "env": "prod",
                    "service": "checkout",
                    "severity": "critical",
                },
                "annotations": {
                    "summary": "checkout 5xx rate above 5% for 5 minutes",
                    "description": "Error rate is 7.3%.",
                },
                "startsAt": "2024-05-14T09:58:03.123456789Z",
                "endsAt": ZERO_TIME,
                "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=...",
                "fingerprint": "8a3c0b6d1f0e4e2a",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "HighErrorRate", "env": "prod", "service": "search"},
                "annotations": {"description": "Error rate is back under 1%."},
                "startsAt": "2024-05-14T09:40:00+02:00",
                "endsAt": "2024-05-14T10:02:33.5Z",
                "generatorURL": "",
                "fingerprint": "1f9e2d7c3b5a4e6f",
            },
        ],
    }


def test_a_realistic_payload() -> None:
    firing, resolved = parse(payload())

    assert firing == Alert(
        fingerprint="8a3c0b6d1f0e4e2a",
        status="firing",
        name="HighErrorRate",
        severity="critical",
        service="checkout",
        summary="checkout 5xx rate above 5% for 5 minutes",
        labels={
            "alertname": "HighErrorRate",
            "env": "prod",
            "service": "checkout",
            "severity": "critical",
        },
        starts_at=datetime(2024, 5, 14, 9, 58, 3, 123456, tzinfo=UTC),
        ends_at=None,
        url="http://prometheus.internal:9090/graph?g0.expr=...",
    )
    assert is_critical(firing)
    assert (resolved.status, resolved.service, resolved.severity) == ("resolved", "search", None)
    assert resolved.summary == "Error rate is back under 1%."
    assert resolved.url is None
    assert not is_critical(resolved)


def test_times_are_aware_utc() -> None:
    _, resolved = parse(payload())

    assert resolved.starts_at == datetime(2024, 5, 14, 7, 40, tzinfo=UTC)
    assert resolved.starts_at.utcoffset() == timedelta(0)
    assert resolved.ends_at == datetime(2024, 5, 14, 10, 2, 33, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [
        ("2024-05-14T09:58:03.123456789Z", datetime(2024, 5, 14, 9, 58, 3, 123456, tzinfo=UTC)),
        ("2024-05-14T09:58:03.9999999Z", datetime(2024, 5, 14, 9, 58, 3, 999999, tzinfo=UTC)),
        ("2024-05-14T09:58:03.1Z", datetime(2024, 5, 14, 9, 58, 3, 100000, tzinfo=UTC)),
        ("2024-05-14T09:58:03Z", datetime(2024, 5, 14, 9, 58, 3, tzinfo=UTC)),
        ("2024-05-14t09:58:03z", datetime(2024, 5, 14, 9, 58, 3, tzinfo=UTC)),
        ("2024-05-14T11:58:03.000000001+02:00", datetime(2024, 5, 14, 9, 58, 3, tzinfo=UTC)),
    ],
)
def test_fractions_beyond_microseconds_are_truncated(sent: str, parsed: datetime) -> None:
    body = payload()
    body["alerts"][0]["startsAt"] = sent

    alert = parse(body)[0]

    assert alert.starts_at == parsed
    assert alert.starts_at.tzinfo is UTC


@pytest.mark.parametrize("ends_at", [ZERO_TIME, "0001-01-01T00:00:00.000000000Z", None])
def test_an_unset_end_is_none(ends_at: str | None) -> None:
    body = payload()
    if ends_at is None:
        del body["alerts"][0]["endsAt"]
    else:
        body["alerts"][0]["endsAt"] = ends_at

    assert parse(body)[0].ends_at is None


def test_the_service_label_is_the_catalogs() -> None:
    body = payload()
    body["alerts"][0]["labels"]["app"] = "payments-api"

    assert parse(body, service_label="app")[0].service == "payments-api"
    assert parse(body, service_label="team")[0].service is None


def test_empty_labels_count_as_absent() -> None:
    body = payload()
    body["alerts"][0]["labels"].update(severity="", service="")

    alert = parse(body)[0]

    assert (alert.severity, alert.service) == (None, None)


@pytest.mark.parametrize(
    ("annotations", "summary"),
    [
        ({"summary": "S", "description": "D"}, "S"),
        ({"summary": "  ", "description": "D"}, "D"),
        ({"runbook_url": "http://wiki/"}, "HighErrorRate"),
        (None, "HighErrorRate"),
    ],
)
def test_summary_falls_back_to_description_then_name(
    annotations: dict[str, str] | None, summary: str
) -> None:
    body = payload()
    if annotations is None:
        del body["alerts"][0]["annotations"]
    else:
        body["alerts"][0]["annotations"] = annotations

    assert parse(body)[0].summary == summary


def test_labels_are_read_only() -> None:
    alert = parse(payload())[0]

    with pytest.raises(TypeError):
        alert.labels["severity"] = "info"  # type: ignore[index]
    assert hash(alert) == hash(parse(payload())[0])


def test_no_alerts_is_an_empty_list() -> None:
    body = payload()
    body["alerts"] = []

    assert parse(body) == []


@pytest.mark.parametrize(
    ("severity", "critical"),
    [
        ("critical", True),
        ("CRITICAL", True),
        ("page", True),
        ("Page", True),
        ("warning", False),
        ("info", False),
        (None, False),
    ],
)
def test_is_critical(severity: str | None, critical: bool) -> None:
    body = payload()
    labels = body["alerts"][0]["labels"]
    if severity is None:
        del labels["severity"]
    else:
        labels["severity"] = severity

    assert is_critical(parse(body)[0]) is critical


DELETED = object()
TIME = "expected an RFC 3339 time"


def changed(path: str, value: object) -> Any:
    """The realistic payload with the field at a dotted path (list indexes as numbers) changed."""
    body = payload()
    *parents, last = [int(key) if key.isdecimal() else key for key in path.split(".")]
    parent: Any = body
    for key in parents:
        parent = parent[key]
    if value is DELETED:
        del parent[last]
    else:
        parent[last] = value
    return body


@pytest.mark.parametrize("body", [None, "alerts", [payload()], 4])
def test_a_payload_that_is_not_an_object(body: object) -> None:
    with pytest.raises(InvalidPayload, match=r"^payload: expected an object$"):
        parse(body)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("alerts", DELETED, "alerts: missing"),
        ("alerts", {"0": {}}, "alerts: expected a list"),
        ("alerts", "[]", "alerts: expected a list"),
        ("alerts.1", "alert", "alerts[1]: expected an object"),
        ("alerts.0.labels", DELETED, "alerts[0].labels: missing"),
        ("alerts.0.labels", ["alertname"], "alerts[0].labels: expected an object"),
        ("alerts.1.labels.alertname", DELETED, "alerts[1].labels.alertname: missing"),
        ("alerts.1.labels.alertname", "", "alerts[1].labels.alertname: empty"),
        ("alerts.0.labels.severity", 3, "alerts[0].labels.severity: expected a string"),
        ("alerts.0.labels.env", None, "alerts[0].labels.env: expected a string"),
        ("alerts.0.annotations", "x", "alerts[0].annotations: expected an object"),
        ("alerts.0.annotations.summary", ["x"], "alerts[0].annotations.summary: expected a string"),
        ("alerts.0.status", DELETED, 'alerts[0].status: expected "firing" or "resolved"'),
        ("alerts.0.status", "pending", 'alerts[0].status: expected "firing" or "resolved"'),
        ("alerts.1.startsAt", DELETED, "alerts[1].startsAt: missing"),
        ("alerts.1.startsAt", 1715680683, f"alerts[1].startsAt: {TIME}"),
        ("alerts.1.startsAt", "yesterday", f"alerts[1].startsAt: {TIME}"),
        ("alerts.1.startsAt", "2024-05-14", f"alerts[1].startsAt: {TIME}"),
        ("alerts.1.startsAt", "2024-05-14T09:58:03", f"alerts[1].startsAt: {TIME}"),  # no offset
        ("alerts.1.startsAt", "2024-13-14T09:58:03Z", f"alerts[1].startsAt: {TIME}"),
        ("alerts.1.startsAt", "0001-01-01T00:30:00+01:00", f"alerts[1].startsAt: {TIME}"),  # year 0
        ("alerts.1.endsAt", "2024-05-14 10:02", f"alerts[1].endsAt: {TIME}"),
        ("alerts.0.fingerprint", DELETED, "alerts[0].fingerprint: missing"),
        ("alerts.0.fingerprint", "", "alerts[0].fingerprint: expected a non-empty string"),
        ("alerts.0.generatorURL", 7, "alerts[0].generatorURL: expected a string"),
    ],
)
def test_malformed_payloads_name_the_field(path: str, value: object, message: str) -> None:
    with pytest.raises(InvalidPayload) as raised:
        parse(changed(path, value))

    assert str(raised.value) == message
    assert raised.value.path == message.partition(":")[0]
    assert isinstance(raised.value, ValueError)


def test_offsets_other_than_utc_are_converted() -> None:
    body = changed("alerts.0.startsAt", "2024-05-14T05:28:03-04:30")

    starts_at = parse(body)[0].starts_at

    assert starts_at == datetime(2024, 5, 14, 9, 58, 3, tzinfo=UTC)
    assert starts_at.tzinfo is UTC
