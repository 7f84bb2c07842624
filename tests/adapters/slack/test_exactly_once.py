"""Exactly once, whatever Slack or people repeat: two replicas of the bot share one database
(SQLite here, PostgreSQL with TEST_DATABASE_URL) and the same requests reach both at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.adapters.db.incidents import Incidents
from bot.core.model import Event, EventKind
from bot.entrypoints.sandbox import signing
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    ANNOUNCE,
    SECRET,
    BotClient,
    running_bot,
    text_of,
    with_rollback_hook,
)
from tests.adapters.slack.test_deploys import button_value, deliver, deploy, wait_for
from tests.adapters.slack.test_signals import alert, notify
from tests.adapters.slack.test_signals import wait_for as signals_wait_for

T = TypeVar("T")


@pytest.fixture
def replicas(
    slack: SlackApiStub, engine: Engine, repo_root: Path
) -> Iterator[tuple[BotClient, BotClient]]:
    with (
        running_bot(slack, engine, repo_root) as first,
        running_bot(slack, engine, repo_root) as second,
    ):
        yield first, second


def at_once(*sends: Callable[[], T]) -> list[T]:
    """Run every send in its own thread, released together; their results in order."""
    ready = threading.Barrier(len(sends))
    results: list[Any] = [None] * len(sends)

    def run(index: int, send: Callable[[], T]) -> None:
        ready.wait()
        results[index] = send()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def timeline(*bots: BotClient) -> list[Event]:
    """Incident 1's timeline once every replica is done with what it was sent."""
    for bot in bots:
        assert bot.runtime.work.wait_idle()
    with bots[0].runtime.sessions() as session:
        return Incidents(session).timeline.events(1)


def count(events: list[Event], kind: EventKind) -> int:
    return sum(1 for event in events if event.kind is kind)


def declared(bot: BotClient, title: str = "sev1 checkout is returning 500s") -> str:
    bot.reply(bot.command(title))
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def posted(bot: BotClient, channel: str, text: str) -> str:
    web = WebClient(token=bot.slack.token, base_url=bot.slack.base_url)
    return str(web.chat_postMessage(channel=channel, text=text)["ts"])


def pin(channel: str, ts: str, user: str = "U0BOB") -> dict[str, Any]:
    return {
        "type": "pin_added",
        "user": user,
        "channel_id": channel,
        "item": {"type": "message", "channel": channel, "message": {"ts": ts, "text": "v6"}},
        "event_ts": "1.0",
    }


def pushpin(channel: str, ts: str, user: str = "U0CAROL") -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "2.0",
    }


def deliver_event(bot: BotClient, body: bytes, timestamp: int) -> int:
    """One delivery of an event, signed at ``timestamp`` (Slack signs each delivery anew)."""
    status, _, _ = signing.post(
        f"{bot.url}/slack/events", body, signing.JSON, SECRET, timestamp=timestamp
    )
    return status


def together(a: BotClient, first: bytes, b: BotClient, second: bytes) -> None:
    now = int(time.time())
    at_once(lambda: deliver_event(a, first, now), lambda: deliver_event(b, second, now))


# --- deliveries ----------------------------------------------------------------------------------


def test_an_event_delivered_six_times_to_two_replicas_is_noted_once(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    ts = posted(a, channel, "rolled back search to v6")
    body = signing.event_body(pin(channel, ts), team_id=a.slack.identity.team_id)
    now = int(time.time())
    statuses = at_once(
        *(
            lambda bot=bot, n=n: deliver_event(bot, body, now - n)  # type: ignore[misc]
            for n, bot in enumerate([a, b, a, b, a, b])
        )
    )
    assert statuses == [200] * 6
    assert count(timeline(a, b), EventKind.NOTE_ADDED) == 1


def test_a_pin_and_a_pushpin_arriving_together_note_the_message_once(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    team = a.slack.identity.team_id
    for round_ in range(3):
        ts = posted(a, channel, f"finding {round_}")
        pinned = signing.event_body(pin(channel, ts), team_id=team)
        reacted = signing.event_body(pushpin(channel, ts), team_id=team)
        together(a, pinned, b, reacted)
    notes = [e for e in timeline(a, b) if e.kind is EventKind.NOTE_ADDED]
    assert len(notes) == 3
    assert len({e.extra["message_ts"] for e in notes}) == 3


def test_the_same_signed_request_replayed_is_refused_and_recorded_once(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    body = signing.slash_command_body(
        text="note the cache is cold",
        user_id="U0BOB",
        user_name="bob",
        channel_id=channel,
        channel_name="inc",
        team_id=a.slack.identity.team_id,
        trigger_id="trigger-replayed",
        response_url=a.slack.response_url("replayed"),
    )
    signed_at = int(time.time())

    def replay(bot: BotClient) -> int:
        return signing.post(
            f"{bot.url}/slack/events", body, signing.FORM, SECRET, timestamp=signed_at
        )[0]

    on_a = at_once(lambda: replay(a), lambda: replay(a), lambda: replay(a))
    assert sorted(on_a) == [200, 401, 401]
    assert replay(b) in (200, 401)  # another replica may let it through: it changes nothing
    notes = [e for e in timeline(a, b) if e.kind is EventKind.NOTE_ADDED]
    assert [e.text for e in notes] == ["the cache is cold"]


def test_a_command_delivered_twice_to_two_replicas_is_done_once(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    now = int(time.time())
    sent = at_once(
        lambda: a.command("note one trigger", channel=channel, trigger_id="T1", timestamp=now),
        lambda: b.command("note one trigger", channel=channel, trigger_id="T1", timestamp=now - 1),
    )
    assert [s.status for s in sent] == [200, 200]
    assert count(timeline(a, b), EventKind.NOTE_ADDED) == 1


def test_a_form_submitted_twice_posts_one_status_update(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    a.click("incident.update", "1", channel=channel)
    [opened] = a.slack.wait_for("views.open")
    assert opened.view is not None
    view = {
        **opened.view,
        "id": "V0SAME",
        "state": {
            "values": {
                "impact": {"value": {"value": "slow checkout"}},
                "affected": {"value": {"value": "12%"}},
                "action": {"value": {"value": "scaling up"}},
                "next": {"value": {"selected_option": {"value": "15m"}}},
                "custom": {"value": {"value": None}},
            }
        },
    }
    submission = {"type": "view_submission", "user": {"id": "U0BOB"}, "view": view}
    at_once(lambda: a.interact(submission), lambda: b.interact(submission))
    assert count(timeline(a, b), EventKind.STATUS_UPDATE_POSTED) == 1


# --- buttons -------------------------------------------------------------------------------------


def card_value(bot: BotClient, channel: str, action_id: str) -> str:
    """The value of ``action_id`` on the incident card as it is now."""
    card = bot.slack.messages(channel)[0]
    return next(
        str(element["value"])
        for block in card.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )


def confirmation(bot: BotClient, channel: str, severity: str) -> tuple[str, str]:
    """The button of the confirmation ``/incident <severity>`` asks for: (action, value)."""
    reply = bot.reply(bot.command(severity, channel=channel))
    [button] = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return str(button["action_id"]), str(button["value"])


def press_twice(a: BotClient, b: BotClient, channel: str, action: str, value: str) -> list[Any]:
    """The same button pressed at the same moment on both replicas (a double click, or two
    people), then once more when it is late; the answers."""
    sent = at_once(
        lambda: a.click(action, value, user="U0ALICE", channel=channel),
        lambda: b.click(action, value, user="U0ALICE", channel=channel),
    )
    timeline(a, b)
    late = a.click(action, value, user="U0ALICE", channel=channel)
    timeline(a, b)
    return [*sent, late]


# Each card button, the state it needs and the one entry it makes.
CARD_BUTTONS = [
    ("incident.ack", [], EventKind.ACKNOWLEDGED),
    ("incident.mitigated", [], EventKind.MITIGATED),
    ("incident.resolve", [], EventKind.RESOLVED),
    ("incident.reopen", ["resolve"], EventKind.REOPENED),
]


@pytest.mark.parametrize(("action", "before", "kind"), CARD_BUTTONS)
def test_a_card_button_pressed_twice_and_late_acts_once(
    replicas: tuple[BotClient, BotClient], action: str, before: list[str], kind: EventKind
) -> None:
    a, b = replicas
    channel = declared(a)
    for command in before:
        a.command(command, channel=channel)
        timeline(a, b)
    value = card_value(a, channel, action)
    press_twice(a, b, channel, action, value)
    assert count(timeline(a, b), kind) == 1


def test_a_card_button_for_a_state_that_moved_on_changes_nothing(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    mitigate = card_value(a, channel, "incident.mitigated")  # shown while investigating
    for command in ("resolve", "reopen", "mitigated", "resolve"):
        a.command(command, channel=channel)
        before = timeline(a, b)
    answer = a.reply(a.click("incident.mitigated", mitigate, channel=channel))
    assert "Since that button was shown, the incident became *Resolved*" in text_of(answer)
    assert timeline(a, b) == before


def test_an_older_severity_confirmation_pressed_after_a_newer_one_changes_nothing(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a, "sev2 checkout is slow")

    older = confirmation(a, channel, "sev3")
    newer = confirmation(a, channel, "sev1")
    pressed = press_twice(a, b, channel, *newer)
    changes = [e for e in timeline(a, b) if e.kind is EventKind.SEVERITY_CHANGED]
    assert [str(e.severity) for e in changes] == ["sev1"]
    used = [a.slack.responses(p.response_key) for p in pressed]
    assert sum('"replace_original": true' in text_of(r[0]) for r in used if r) >= 1
    answer = a.reply(a.click(*older, channel=channel), count=1)
    assert "Since that button was shown, the incident became *Sev1*" in text_of(answer)
    changes = [e for e in timeline(a, b) if e.kind is EventKind.SEVERITY_CHANGED]
    assert [str(e.severity) for e in changes] == ["sev1"]


def test_two_responders_pressing_roll_back_at_once_roll_back_once(
    replicas: tuple[BotClient, BotClient], rollback_hook: list[tuple[dict[str, Any], str]]
) -> None:
    a, b = replicas
    hook_url = rollback_hook.pop()[0]["url"]
    for bot in (a, b):
        with_rollback_hook(bot, hook_url)
    deliver(a, deploy(age=timedelta(minutes=30)))
    channel = declared(a)
    wait_for(a, channel, "Roll back now")
    value = button_value(a, channel, "incident.rollback")
    for user in ("U0BOB", "U0CAROL"):
        a.command("ack", user=user, channel=channel)
    timeline(a, b)
    sent = at_once(
        lambda: a.click("incident.rollback", value, user="U0BOB", channel=channel),
        lambda: b.click("incident.rollback", value, user="U0CAROL", channel=channel),
    )
    events = timeline(a, b)
    assert count(events, EventKind.ROLLBACK_DECIDED) == 1
    assert len(rollback_hook) == 1
    rolling = [m for m in a.slack.messages(channel) if "is rolling back" in text_of(m)]
    assert len(rolling) == 1
    answers = [text_of(r) for s in sent for r in a.slack.responses(s.response_key)]
    assert any("already decided" in answer for answer in answers)


def test_who_is_not_on_the_incident_may_not_roll_back(bot: BotClient) -> None:
    deliver(bot, deploy(age=timedelta(minutes=30)))
    channel = declared(bot)
    wait_for(bot, channel, "Roll back now")
    value = button_value(bot, channel, "incident.rollback")
    answer = bot.reply(bot.click("incident.rollback", value, user="U0DISC", channel=channel))
    assert "may steer this incident" in text_of(answer)
    assert count(timeline(bot), EventKind.ROLLBACK_DECIDED) == 0


def test_declaring_from_an_alert_pressed_on_two_replicas_declares_once(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    notify(a, alert(name="CheckoutDown", fingerprint="f9", starts=started))
    signals_wait_for(a, ANNOUNCE, "Critical alert for `checkout` and no open incident")
    at_once(
        lambda: a.click("incident.declare_from_alert", "f9", user="U0BOB", channel=ANNOUNCE),
        lambda: b.click("incident.declare_from_alert", "f9", user="U0CAROL", channel=ANNOUNCE),
    )
    for bot in (a, b):
        assert bot.runtime.work.wait_idle()
    with a.runtime.sessions() as session:
        assert len(Incidents(session).open()) == 1
    assert len(a.slack.calls_to("conversations.create")) == 1


def test_a_button_for_a_state_left_and_come_back_to_changes_nothing(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a)
    resolve = card_value(a, channel, "incident.resolve")  # investigating, no move yet
    for command in ("resolve", "reopen"):  # investigating again, but not as shown
        a.command(command, channel=channel)
        timeline(a, b)
    answer = a.reply(a.click("incident.resolve", resolve, channel=channel))
    assert "Since that button was shown" in text_of(answer)
    assert count(timeline(a, b), EventKind.RESOLVED) == 1


def test_a_severity_confirmation_after_the_severity_went_and_came_back_changes_nothing(
    replicas: tuple[BotClient, BotClient],
) -> None:
    a, b = replicas
    channel = declared(a, "sev2 checkout is slow")

    older = confirmation(a, channel, "sev3")  # shown at Sev2
    a.click(*confirmation(a, channel, "sev1"), channel=channel)
    timeline(a, b)
    a.click(*confirmation(a, channel, "sev2"), channel=channel)  # Sev2 again
    timeline(a, b)
    a.click(*older, channel=channel)
    changes = [e for e in timeline(a, b) if e.kind is EventKind.SEVERITY_CHANGED]
    assert [str(e.severity) for e in changes] == ["sev1", "sev2"]


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("incident.severity", "1:sev9"),
        ("incident.severity", "1"),
        ("incident.resolve", "abc"),
        ("incident.resolve", "1:bogus"),
        ("incident.resolve", "99:investigating"),
        ("incident.ack", "99"),
        ("incident.rollback", "garbage"),
        ("incident.rollback", ""),
        ("incident.update", "zz"),
    ],
)
def test_a_button_value_no_button_of_ours_holds_is_answered_with_what_to_do(
    bot: BotClient, action: str, value: str
) -> None:
    channel = declared(bot)
    answer = text_of(bot.reply(bot.click(action, value, channel=channel)))
    assert "Something went wrong" not in answer
    assert "/incident" in answer
    assert count(timeline(bot), EventKind.RESOLVED) == 0
