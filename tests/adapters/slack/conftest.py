"""End-to-end fixtures: the real bot over HTTP, talking to the Slack stub over HTTP."""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import Engine

from bot.adapters import signing as webhook_signing
from bot.entrypoints import app
from bot.entrypoints.http import Server
from bot.entrypoints.sandbox import signing
from bot.entrypoints.sandbox.slack_api import RecordedCall, SlackApiStub
from bot.entrypoints.settings import Settings
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks

SHIPPED_PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the test app's signing secret
WEBHOOK_SECRET = "deploy-hook-secret"
ALERTMANAGER_TOKEN = "alertmanager-token"
ANNOUNCE, TRIAGE, GENERAL = "C0ANNOUNCE", "C0TRIAGE", "C0GENERAL"
UNPACED = 10_000  # SLACK_RATE_SCALE: Tier 2's 20 calls a minute become 200,000
PEOPLE = {
    "U0ALICE": "alice",
    "U0BOB": "bob",
    "U0CAROL": "carol",
    "U0PAY1": "pat",
    "U0PAY2": "paz",
    "U0DISC": "dana",
}


def on_the_card(call: RecordedCall) -> bool:
    """A call about an incident's own channel (its card), not the announcement stakeholders
    read (which is kept current too)."""
    return call.params.get("channel") != ANNOUNCE


@pytest.fixture
def slack() -> Iterator[SlackApiStub]:
    with SlackApiStub() as stub:
        for user_id, name in PEOPLE.items():
            stub.add_user(user_id, name)
        stub.add_usergroup("S0PAYMENTS", "payments", ["U0PAY1", "U0PAY2"])
        stub.add_usergroup("S0DISCOVERY", "discovery", ["U0DISC"])
        for channel, name in ((ANNOUNCE, "incidents"), (TRIAGE, "triage"), (GENERAL, "general")):
            stub.add_channel(channel, name, members=[stub.identity.bot_user_id, *PEOPLE])
        yield stub


@dataclass
class Sent:
    status: int
    body: bytes
    response_key: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class BotClient:
    """Sends correctly signed Slack requests to the running bot."""

    url: str
    slack: SlackApiStub
    runtime: app.Runtime
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def command(
        self,
        text: str,
        user: str = "U0ALICE",
        channel: str = GENERAL,
        retry: int | None = None,
        trigger_id: str | None = None,
        timestamp: int | None = None,
        secret: str = SECRET,
    ) -> Sent:
        n = next(self.counter)
        key = f"cmd{n}@{self.url.rsplit(':', 1)[-1]}"  # unique across replicas
        body = signing.slash_command_body(
            text=text,
            user_id=user,
            user_name=PEOPLE.get(user, user),
            channel_id=channel,
            channel_name="whatever",
            team_id=self.slack.identity.team_id,
            trigger_id=trigger_id or f"trigger-{n}",
            response_url=self.slack.response_url(key),
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        status, _, reply = signing.post(
            f"{self.url}/slack/events",
            body,
            signing.FORM,
            secret,
            timestamp=timestamp,
            extra_headers=headers,
        )
        return Sent(status, reply, key)

    def interact(self, payload: dict[str, Any]) -> Sent:
        n = next(self.counter)
        key = f"act{n}@{self.url.rsplit(':', 1)[-1]}"
        payload = {
            "team": {"id": self.slack.identity.team_id},
            "trigger_id": f"trig-{n}",
            "response_url": self.slack.response_url(key),
            **payload,
        }
        status, _, reply = signing.post(
            f"{self.url}/slack/events", signing.interactivity_body(payload), signing.FORM, SECRET
        )
        return Sent(status, reply, key)

    def click(
        self, action_id: str, value: str, user: str = "U0ALICE", channel: str = GENERAL
    ) -> Sent:
        return self.interact(
            {
                "type": "block_actions",
                "user": {"id": user},
                "channel": {"id": channel},
                "container": {"type": "message", "channel_id": channel},
                "actions": [
                    {
                        "action_id": action_id,
                        "value": value,
                        "block_id": "b",
                        "type": "button",
                        "action_ts": str(time.time()),
                    }
                ],
            }
        )

    def reply(self, sent: Sent, count: int = 1) -> dict[str, Any]:
        """The ``count``-th message the bot sent to the request's response_url."""
        return self.slack.wait_for_response(sent.response_key, count)[count - 1]


def bot_settings(
    slack: SlackApiStub, engine: Engine, repo_root: Path, **overrides: Any
) -> Settings:
    """The settings of a bot on ``engine`` against the stub; ``overrides`` are Settings fields.

    The stub never limits, and these tests are not about pacing (``test_budget`` is): Slack's
    rates are scaled up so that a test's burst of declarations is not spaced out in real time.
    """
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{
            "database_url": engine.url.render_as_string(hide_password=False),
            "slack_bot_token": slack.token,
            "slack_signing_secret": SECRET,
            "slack_api_url": slack.base_url,
            "incident_announce_channel": ANNOUNCE,
            "incident_triage_channel": TRIAGE,
            "playbooks_dir": repo_root / "playbooks",
            "templates_dir": repo_root / "templates",
            "deploy_webhook_secret": WEBHOOK_SECRET,
            "alertmanager_webhook_token": ALERTMANAGER_TOKEN,
            "postmortem_dir": Path(tempfile.mkdtemp(prefix="postmortems-")),
            "slack_rate_scale": UNPACED,
            **overrides,
        },
    )


@contextmanager
def running_bot(
    slack: SlackApiStub, engine: Engine, repo_root: Path, **overrides: Any
) -> Iterator[BotClient]:
    """The real bot on 127.0.0.1 against the stub; ``overrides`` are Settings fields."""
    runtime = app.build(bot_settings(slack, engine, repo_root, **overrides))
    server = Server(runtime, "127.0.0.1", 0, threads=8).start()
    try:
        yield BotClient(server.url, slack, runtime)
    finally:
        server.stop()
        runtime.close()


@pytest.fixture
def bot(slack: SlackApiStub, engine: Engine, repo_root: Path) -> Iterator[BotClient]:
    with running_bot(slack, engine, repo_root) as client:
        yield client


@pytest.fixture
def rollback_hook() -> Iterator[list[tuple[dict[str, Any], str]]]:
    received: list[tuple[dict[str, Any], str]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((json.loads(body), str(self.headers["X-Signature-256"])))
            assert webhook_signing.verify(body, self.headers["X-Signature-256"], WEBHOOK_SECRET)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    received.append(({"url": f"http://127.0.0.1:{server.server_address[1]}/rollback"}, ""))
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


def with_rollback_hook(bot: BotClient, url: str, service: str = "checkout") -> None:
    """The running bot's catalog, with ``service``'s rollback webhook at ``url``."""
    catalog = bot.runtime.playbooks.catalog
    found = catalog.service(service)
    assert found is not None
    patched = found.model_copy(
        update={"rollback": found.rollback.model_copy(update={"webhook": url})}
    )
    catalog.services[catalog.services.index(found)] = patched


def playbooks_with(tmp_path: Path, window: str, urgent: str) -> Playbooks:
    """The shipped playbooks, with the Sev1 rollback rule's windows changed."""
    for path in SHIPPED_PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    sev1 = tmp_path / "sev1.yaml"
    text = sev1.read_text()
    assert "  window: 4h " in text and "  urgent: 1h " in text
    sev1.write_text(
        text.replace("  window: 4h ", f"  window: {window} ", 1).replace(
            "  urgent: 1h ", f"  urgent: {urgent} ", 1
        )
    )
    return loader.load(tmp_path)


def text_of(message: dict[str, Any]) -> str:
    """Every piece of text in a message or view, for assertions about what people read."""
    return json.dumps(message, ensure_ascii=False)


def assert_valid_block_kit(slack: SlackApiStub) -> int:
    """Every blocks/view payload the bot sent parses with slack_sdk.models and is within limits."""
    checked = 0
    for call in slack.calls:
        assert call.valid, call.summary()
        if call.blocks is not None:
            assert 0 < len(call.blocks) <= 50, call.summary()
            for block in Block.parse_all(call.blocks):
                block.validate_json()
            checked += 1
        if call.view is not None:
            View(**call.view).validate_json()
            checked += 1
    for message in slack.responses():
        for block in Block.parse_all(message.get("blocks") or []):
            block.validate_json()
    return checked
