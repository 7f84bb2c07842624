"""Alertmanager alerts, dependency health and each severity's first actions, end to end."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.adapters.db.incidents import Incidents
from bot.core.model import EventKind
from bot.entrypoints.sandbox.signing import post
from bot.entrypoints.webhooks.alert_intake import AlertIntake
from tests.adapters.slack.conftest import ALERTMANAGER_TOKEN, ANNOUNCE, BotClient, text_of

STARTED = datetime.now(UTC).replace(microsecond=0) - timedelta(
    minutes=10
)  # stable, like Alertmanager


def alert(
    name: str = "HighErrorRate",
    service: str = "checkout",
    status: str = "firing",
    severity: str = "critical",
    fingerprint: str = "f1",
    starts: datetime | None = None,
) -> dict[str, Any]:
    started = starts or STARTED
    return {
        "status": status,
        "labels": {"alertname": name, "service": service, "severity": severity},
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": started.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": fingerprint,
    }


def notify(
    bot: BotClient,
    *alerts: dict[str, Any],
    token: str = ALERTMANAGER_TOKEN,
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    payload = (
        body or json.dumps({"version": "4", "status": "firing", "alerts": list(alerts)}).encode()
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, reply = post(
        f"{bot.url}/webhooks/alertmanager", payload, "application/json", "", extra_headers=headers
    )
    return status, json.loads(reply)


def texts(bot: BotClient, channel: str) -> list[str]:
    return [text_of(m) for m in bot.slack.messages(channel)]


def wait_for(bot: BotClient, channel: str, needle: str, count: int = 1) -> list[str]:
    def found() -> list[str]:
        return [t for t in texts(bot, channel) if needle in t]

    if not bot.slack.wait_until(lambda: len(found()) >= count, timeout=8):
        raise AssertionError(f"{needle!r} x{count} not in {texts(bot, channel)}")
    return found()


def declared(bot: BotClient, text: str) -> str:
    bot.reply(bot.command(text))
    return str(bot.slack.calls_to("conversations.create")[-1].response["channel"]["id"])


@pytest.mark.parametrize(
    ("token", "body", "status", "expected"),
    [
        ("", None, 401, "Bearer"),
        ("wrong-token", None, 401, "Bearer"),
        (ALERTMANAGER_TOKEN, b'{"alerts": "nope"}', 400, "alerts: expected a list"),
        (ALERTMANAGER_TOKEN, b"not json", 400, "body: expected a JSON object"),
    ],
    ids=["missing", "wrong", "malformed", "not-json"],
)
def test_alertmanager_intake_is_authenticated_and_validated(
    bot: BotClient, token: str, body: bytes | None, status: int, expected: str
) -> None:
    answer = notify(bot, alert(), token=token, body=body)
    assert answer[0] == status
    assert expected in answer[1]["error"]


def test_intake_is_off_without_a_token(bot: BotClient) -> None:
    intake = AlertIntake(lambda alerts: alerts, None, "service", lambda alerts: None)
    assert intake.receive(b"{}", {"authorization": "Bearer x"})[0] == 503


def test_a_firing_alert_reaches_its_incident_once(bot: BotClient) -> None:
    channel = declared(bot, "sev1 checkout is returning 500s")
    assert notify(bot, alert(severity="warning")) == (200, {"received": 1, "newly_firing": 1})
    wait_for(bot, channel, "Firing: *HighErrorRate* (warning)")
    assert notify(bot, alert(severity="warning"))[1]["newly_firing"] == 0  # a repeat
    notify(bot, alert(status="resolved", severity="warning"))
    notify(bot, alert(severity="warning"))  # firing again
    wait_for(bot, channel, "Firing: *HighErrorRate*", count=2)
    assert bot.runtime.work.wait_idle()  # every notification's work is done
    assert len([t for t in texts(bot, channel) if "Firing:" in t]) == 2
    with bot.runtime.sessions() as session:
        kinds = [e.kind for e in Incidents(session).timeline.events(1)]
    assert kinds.count(EventKind.ALERT_FIRING) == 2


def test_a_critical_alert_without_an_incident_offers_to_declare(bot: BotClient) -> None:
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25)
    notify(bot, alert(name="CheckoutDown", fingerprint="f9", starts=started))
    [offer] = wait_for(bot, ANNOUNCE, "Critical alert for `checkout` and no open incident")
    assert "incident.declare_from_alert" in offer
    bot.click("incident.declare_from_alert", "f9", user="U0BOB")
    bot.slack.wait_for("pins.add")
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    incident = stored.incident
    assert (incident.title, incident.services, incident.started_at, incident.declared_by) == (
        "CheckoutDown: CheckoutDown on checkout",
        ("checkout",),
        started,
        "U0BOB",
    )
    assert str(incident.severity) == "sev1"


@pytest.fixture
def dependencies() -> Iterator[dict[str, str]]:
    """An HTTP dependency that is up, one answering 500, and a closed port."""

    def server(status: int) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    healthy, failing = server(200), server(500)
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05})
        for s in (healthy, failing)
    ]
    for thread in threads:
        thread.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    yield {
        "healthy": f"http://127.0.0.1:{healthy.server_address[1]}/health",
        "failing": f"http://127.0.0.1:{failing.server_address[1]}/health",
        "closed": closed,
    }
    for running in (healthy, failing):
        running.shutdown()
        running.server_close()
    for thread in threads:
        thread.join()


def use_dependencies(bot: BotClient, targets: dict[str, str]) -> None:
    catalog = bot.runtime.playbooks.catalog
    search = catalog.service("search")
    assert search is not None
    catalog.services[catalog.services.index(search)] = search.model_copy(
        update={"dependencies": list(targets.values())}
    )


def test_sev2_first_actions_show_deploys_alerts_and_probed_dependencies(
    bot: BotClient, dependencies: dict[str, str]
) -> None:
    use_dependencies(bot, dependencies)
    notify(bot, alert(name="DiskFull", service="search", severity="warning", fingerprint="d1"))
    bot.reply(bot.command("deploy search v7"))
    channel = declared(bot, "sev2 search is slow")
    wait_for(bot, channel, "Recent deploys of `search`")
    wait_for(bot, channel, "*DiskFull* (warning)")
    [table] = wait_for(bot, channel, "Dependency health")
    assert "1 up, 2 down" in table
    assert "HTTP 200" in table
    assert "HTTP 500" in table
    assert "connection refused" in table


def test_sev1_first_action_is_to_mitigate(bot: BotClient) -> None:
    channel = declared(bot, "sev1 checkout is returning 500s")
    [text] = wait_for(bot, channel, "Mitigate, not diagnose.")
    assert "roll back the last deploy · fail over · scale up" in text


def test_deps_checks_again_on_demand(bot: BotClient, dependencies: dict[str, str]) -> None:
    use_dependencies(bot, dependencies)
    channel = declared(bot, "sev2 search slow again")
    wait_for(bot, channel, "Dependency health")
    reply = bot.reply(bot.command("deps", channel=channel))
    assert "Posted the dependency checks" in reply["text"]
    wait_for(bot, channel, "Dependency health", count=2)
