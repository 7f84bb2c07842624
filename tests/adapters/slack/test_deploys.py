"""Deploy intake and the rollback-first prompt, over real HTTP with signed requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.adapters import signing
from bot.adapters.db.deploys import Deploys
from bot.adapters.db.incidents import Incidents
from bot.core.model import EventKind
from bot.entrypoints.sandbox.signing import post
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    WEBHOOK_SECRET,
    BotClient,
    playbooks_with,
    running_bot,
    text_of,
    with_rollback_hook,
)


def deliver(
    bot: BotClient,
    payload: dict[str, Any] | bytes,
    *,
    secret: str | None = WEBHOOK_SECRET,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = dict(headers or {})
    if secret is not None:
        sent["X-Signature-256"] = signing.sign(body, secret)
    status, _, reply = post(
        f"{bot.url}/webhooks/deploy", body, "application/json", "", extra_headers=sent
    )
    return status, json.loads(reply)


def deploy(
    service: str = "checkout",
    version: str = "v42",
    age: timedelta = timedelta(minutes=40),
    **fields: str,
) -> dict[str, Any]:
    finished = (datetime.now(UTC) - age).isoformat()
    return {
        "service": service,
        "version": version,
        "environment": "production",
        "deployer": "alice",
        "finished_at": finished,
        "commit": "abc1234def",
        **fields,
    }


def stored(bot: BotClient) -> list[str]:
    with bot.runtime.sessions() as session:
        found = Deploys(session).recent(datetime.now(UTC), timedelta(days=2))
    return [f"{d.service}@{d.version}" for d in found]


# --- intake -------------------------------------------------------------------------------------


def test_a_signed_deploy_is_stored_once(bot: BotClient) -> None:
    payload = deploy()
    assert deliver(bot, payload) == (201, {"stored": True})
    assert deliver(bot, payload) == (200, {"stored": False, "duplicate": True})
    assert stored(bot) == ["checkout@v42"]


@pytest.mark.parametrize(
    ("secret", "headers"),
    [
        (None, None),
        ("wrong-secret", None),
        (None, {"X-Signature-256": "sha256=zz"}),
        (None, {"X-Signature-256": "md5=abc"}),
    ],
    ids=["missing", "wrong-secret", "garbage", "wrong-scheme"],
)
def test_bad_or_missing_signatures_get_401_and_store_nothing(
    bot: BotClient, secret: str | None, headers: dict[str, str] | None
) -> None:
    status, body = deliver(bot, deploy(), secret=secret, headers=headers)
    assert status == 401
    assert "X-Signature-256" in body["error"]
    assert stored(bot) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in deploy().items() if k != "service"}, "service"),
        (deploy(finished_at="yesterday"), "finished_at"),
        (deploy(finished_at="2026-11-26T03:00:00"), "finished_at"),
        (deploy(version=""), "version"),
        (deploy(colour="blue"), "colour"),
        (b"[1, 2]", "body"),
        (b"{not json", "body"),
    ],
    ids=[
        "no-service",
        "bad-time",
        "naive-time",
        "empty-version",
        "unknown-field",
        "array",
        "not-json",
    ],
)
def test_a_malformed_deploy_gets_400_naming_the_field(
    bot: BotClient, payload: dict[str, Any] | bytes, field: str
) -> None:
    status, body = deliver(bot, payload)
    assert status == 400
    assert body["error"].startswith(f"{field}:")
    assert stored(bot) == []


def github_event(state: str, delivery: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "deployment_status": {
            "state": state,
            "updated_at": datetime.now(UTC).isoformat(),
            "target_url": "https://ci.example/run/7",
        },
        "deployment": {
            "ref": "v43",
            "sha": "f00dbabe1234",
            "environment": "production",
            "creator": {"login": "octocat"},
            "payload": {"service": "search"},
        },
        "repository": {"name": "search-service"},
    }
    return json.dumps(event).encode(), {
        "X-GitHub-Event": "deployment_status",
        "X-GitHub-Delivery": delivery,
    }


def test_github_deployment_status_events_are_deploys_when_successful(bot: BotClient) -> None:
    body, headers = github_event("success", "delivery-1")
    assert deliver(bot, body, headers=headers) == (201, {"stored": True})
    assert deliver(bot, body, headers=headers)[0] == 200
    pending, headers = github_event("in_progress", "delivery-2")
    status, answer = deliver(bot, pending, headers=headers)
    assert (status, "not a finished deploy" in answer["ignored"]) == (202, True)
    assert stored(bot) == ["search@v43"]


# --- the rollback rule, end to end ---------------------------------------------------------------


def declared_channel(bot: BotClient, title: str = "checkout is returning 500s") -> str:
    bot.reply(bot.command(f"sev1 {title}"))
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def wait_for(bot: BotClient, channel: str, needle: str, timeout: float = 5) -> str:
    def found() -> list[str]:
        return [text_of(m) for m in bot.slack.messages(channel) if needle in text_of(m)]

    if not bot.slack.wait_until(lambda: bool(found()), timeout):
        raise AssertionError(
            f"{needle!r} not in {[text_of(m) for m in bot.slack.messages(channel)]}"
        )
    return found()[0]


@pytest.mark.parametrize(
    ("age", "service", "expected"),
    [
        (timedelta(minutes=30), "checkout", "Roll back now"),
        (timedelta(hours=3, minutes=59), "checkout", "Roll back first, investigate second"),
        (timedelta(hours=4, minutes=1), "checkout", "escalate to the owning team"),
        (-timedelta(minutes=5), "checkout", "escalate to the owning team"),
        (timedelta(minutes=30), "search", "escalate to the owning team"),
    ],
    ids=["30m", "3h59m", "4h1m", "after-start", "other-service"],
)
def test_the_rule_decides_the_prompt(
    bot: BotClient, age: timedelta, service: str, expected: str
) -> None:
    deliver(bot, deploy(service=service, age=age))
    channel = declared_channel(bot)
    text = wait_for(bot, channel, expected)
    if "escalate" in expected:
        assert "<!subteam^S0PAYMENTS>" in text
        assert "incident.rollback" not in text
    else:
        assert "finished" in text
        assert "before the issue started" in text
        assert "v42" in text
    assert bot.runtime.work.wait_idle()  # the advice is posted, then recorded
    assert EventKind.ROLLBACK_ADVISED in kinds_of(bot, 1)


def test_a_team_with_a_two_hour_window_is_told_its_own_rule(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path
) -> None:
    playbooks_with(tmp_path, window="2h", urgent="30m")
    with running_bot(slack, engine, repo_root, playbooks_dir=tmp_path) as bot:
        deliver(bot, deploy(age=timedelta(minutes=90)))
        text = wait_for(bot, declared_channel(bot), "Roll back first, investigate second")
    assert "a deploy finished less than 2 hours before the issue started." in text
    assert "within the last 2 hours, roll back first" in text
    assert "4 hours" not in text


def kinds_of(bot: BotClient, incident_id: int) -> list[EventKind]:
    with bot.runtime.sessions() as session:
        return [e.kind for e in Incidents(session).timeline.events(incident_id)]


def test_a_deploy_reported_during_the_incident_brings_new_advice(bot: BotClient) -> None:
    channel = declared_channel(bot)
    wait_for(bot, channel, "escalate to the owning team")
    deliver(bot, deploy(version="v41", age=timedelta(minutes=20)))
    text = wait_for(bot, channel, "Roll back now")
    assert "v41" in text


def button_value(bot: BotClient, channel: str, action_id: str) -> str:
    """The value of the first button with ``action_id`` among the channel's messages."""
    return str(
        next(
            element["value"]
            for message in bot.slack.messages(channel)
            for block in message.get("blocks", [])
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        )
    )


def test_roll_back_shows_the_steps_calls_the_hook_and_is_recorded(
    bot: BotClient, rollback_hook: list[tuple[dict[str, Any], str]], tmp_path: Path
) -> None:
    with_rollback_hook(bot, rollback_hook.pop()[0]["url"])
    deliver(bot, deploy(age=timedelta(minutes=30)))
    channel = declared_channel(bot)
    prompt = wait_for(bot, channel, "Roll back now")
    value = button_value(bot, channel, "incident.rollback")
    assert "v42" in prompt
    bot.command("ack", user="U0BOB", channel=channel)  # a responder may decide
    wait_for(bot, channel, "<@U0BOB> is responding")
    bot.click("incident.rollback", value, user="U0BOB", channel=channel)
    wait_for(bot, channel, "deployctl rollback checkout")
    wait_for(bot, channel, "The rollback webhook of")
    [(called, _)] = rollback_hook
    assert (called["service"], called["version"], called["requested_by"]) == (
        "checkout",
        "v42",
        "U0BOB",
    )
    with bot.runtime.sessions() as session:
        decided = [
            e for e in Incidents(session).timeline.events(1) if e.kind is EventKind.ROLLBACK_DECIDED
        ]
    assert [
        (e.actor, e.extra["decision"], e.extra["version"], e.extra["commit"]) for e in decided
    ] == [("U0BOB", "roll back", "v42", "abc1234def")]


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("incident.not_related", "as not related"),
        ("incident.rolled_back", "is already rolled back"),
    ],
)
def test_not_related_and_already_rolled_back_are_recorded(
    bot: BotClient, action: str, said: str
) -> None:
    deliver(bot, deploy(age=timedelta(hours=2)))
    channel = declared_channel(bot)
    wait_for(bot, channel, "Roll back first")
    value = button_value(bot, channel, action)
    bot.command("ack", user="U0CAROL", channel=channel)
    wait_for(bot, channel, "<@U0CAROL> is responding")
    bot.click(action, value, user="U0CAROL", channel=channel)
    wait_for(bot, channel, said)
    with bot.runtime.sessions() as session:
        decided = [
            e for e in Incidents(session).timeline.events(1) if e.kind is EventKind.ROLLBACK_DECIDED
        ]
    assert decided[0].actor == "U0CAROL"


def test_deploy_by_hand_and_the_recent_list(bot: BotClient) -> None:
    deliver(bot, deploy(version="v40", age=timedelta(hours=3)))
    reply = bot.reply(bot.command("deploy checkout v41"))
    assert "Recorded the deploy of `checkout` v41" in reply["text"]
    listing = text_of(bot.reply(bot.command("deploys checkout")))
    assert listing.index("v41") < listing.index("v40")
    assert "3 hours 1 minute ago" in listing  # 3 hours and the test's seconds, rounded up
    assert "not in the service catalog" in bot.reply(bot.command("deploy chekout v1"))["text"]
    assert "name the service and the version" in bot.command("deploy checkout").json()["text"]
