"""Pins and :pushpin: reactions in an incident channel become timeline entries (signed events)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from bot.adapters.db.incidents import Incidents
from bot.adapters.slack.pins import pin_change
from bot.core.model import EventKind
from bot.entrypoints.sandbox import signing
from bot.services.channel_notes import PinChange
from bot.services.chat import ChatMessage, SharedFile
from tests.adapters.slack.conftest import SECRET, BotClient


def send_event(bot: BotClient, event: dict[str, Any]) -> int:
    body = signing.event_body(event, team_id=bot.slack.identity.team_id)
    status, _, _ = signing.post(f"{bot.url}/slack/events", body, signing.JSON, SECRET)
    return status


def notes(bot: BotClient) -> list[Any]:
    """The notes on incident 1 once the bot is done with every event sent so far."""
    assert bot.runtime.work.wait_idle()
    with bot.runtime.sessions() as session:
        return [
            e
            for e in Incidents(session).timeline.events(1)
            if e.kind in (EventKind.NOTE_ADDED, EventKind.NOTE_WITHDRAWN)
        ]


def incident_with_message(bot: BotClient, text: str) -> tuple[str, str]:
    bot.reply(bot.command("sev2 search is slow"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    posted = WebClient(token=bot.slack.token, base_url=bot.slack.base_url).chat_postMessage(
        channel=channel, text=text
    )
    return channel, str(posted["ts"])


def test_a_pinned_message_is_noted_once_and_unpinning_withdraws_it(bot: BotClient) -> None:
    channel, ts = incident_with_message(bot, "rolled back search to v6 <!here>")
    pinned = {
        "type": "pin_added",
        "user": "U0BOB",
        "channel_id": channel,
        "item": {
            "type": "message",
            "channel": channel,
            "message": {
                "ts": ts,
                "text": "rolled back search to v6 <!here>",
                "user": "U0CAROL",
                "permalink": "https://x/p1",
            },
        },
        "event_ts": "1.0",
    }
    assert send_event(bot, pinned) == 200
    [noted] = notes(bot)
    assert (noted.actor, noted.text, noted.extra["author"], noted.extra["permalink"]) == (
        "U0BOB",
        "rolled back search to v6 <!here>",
        "U0CAROL",
        "https://x/p1",
    )
    reaction = {
        "type": "reaction_added",
        "user": "U0DISC",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "2.0",
    }
    send_event(bot, reaction)
    assert len(notes(bot)) == 1  # the same message: still one entry
    send_event(bot, {**pinned, "type": "pin_removed"})
    assert len(notes(bot)) == 1  # Dana's :pushpin: still marks it
    send_event(bot, {**reaction, "type": "reaction_removed"})
    entries = notes(bot)
    assert [e.kind for e in entries] == [EventKind.NOTE_ADDED, EventKind.NOTE_WITHDRAWN]


def test_a_pushpin_reaction_fetches_the_message_and_its_permalink(bot: BotClient) -> None:
    channel, ts = incident_with_message(bot, "db failover finished")
    send_event(
        bot,
        {
            "type": "reaction_added",
            "user": "U0CAROL",
            "reaction": "eyes",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": "3.0",
        },
    )
    send_event(
        bot,
        {
            "type": "reaction_added",
            "user": "U0CAROL",
            "reaction": "pushpin",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": "4.0",
        },
    )
    [noted] = notes(bot)
    assert noted.text == "db failover finished"
    assert noted.extra["permalink"].startswith("https://stub.slack.com/archives/")
    assert noted.extra["source"] == "reaction_added"


def test_a_pushpin_reaction_on_a_thread_reply_is_noted(bot: BotClient) -> None:
    """Slack's conversations.history holds parent messages only (as the stand-in now does):
    a reply in a thread is found with conversations.replies."""
    channel, parent = incident_with_message(bot, "what do we know?")
    web = WebClient(token=bot.slack.token, base_url=bot.slack.base_url)
    reply = web.chat_postMessage(channel=channel, text="db failover at 10:02", thread_ts=parent)
    assert str(reply["ts"]) not in [
        m["ts"] for m in web.conversations_history(channel=channel)["messages"]
    ]
    send_event(
        bot,
        {
            "type": "reaction_added",
            "user": "U0BOB",
            "reaction": "pushpin",
            "item": {"type": "message", "channel": channel, "ts": str(reply["ts"])},
            "event_ts": "2.0",
        },
    )
    [noted] = notes(bot)
    assert noted.text == "db failover at 10:02"


ATTACHED = {"ts": "9.1", "text": "failed over", "user": "U0CAROL"}


FILE_F1 = SharedFile("F1", "", "")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {
                "type": "pin_added",
                "user": "U0BOB",
                "channel_id": "C1",
                "item": {"type": "message", "channel": "C1", "message": ATTACHED},
            },
            PinChange("C1", "9.1", "U0BOB", ChatMessage("failed over", "U0CAROL"), "pin_added"),
        ),
        (
            {
                "type": "reaction_removed",
                "user": "U0BOB",
                "reaction": "pushpin",
                "item": {"type": "message", "channel": "C1", "ts": "9.1"},
            },
            PinChange("C1", "9.1", "U0BOB", None, "reaction_removed"),
        ),
        (
            {"type": "pin_removed", "item": {"channel": "C1", "ts": "9.1"}},
            PinChange("C1", "9.1", "unknown", None, "pin_removed"),
        ),
        (
            {"type": "reaction_added", "reaction": "eyes", "item": {"channel": "C1", "ts": "9.1"}},
            None,
        ),
        ({"type": "pin_added", "item": {"type": "file", "channel": "C1", "ts": "9.1"}}, None),
        (
            {"type": "pin_added", "channel_id": "C1", "item": {"type": "file", "file": "F1"}},
            PinChange("C1", "F1", "unknown", ChatMessage("", "", None, (FILE_F1,)), "pin_added"),
        ),
        (
            {
                "type": "pin_added",
                "channel_id": "C1",
                "item": {"type": "file_comment", "comment": {"id": "Fc1"}, "file": {"id": "F1"}},
            },
            PinChange("C1", "F1", "unknown", ChatMessage("", "", None, (FILE_F1,)), "pin_added"),
        ),
        (
            {
                "type": "reaction_added",
                "reaction": "pushpin",
                "item": {"type": "file", "file": "F1"},
            },
            None,  # a reaction on a file names no channel
        ),
        (
            {
                "type": "reaction_added",
                "reaction": "pushpin",
                "item": {"type": "file_comment", "file_comment": "Fc1", "file": "F1"},
            },
            None,
        ),
        ({"type": "pin_added", "item": {"type": "message", "ts": "9.1"}}, None),
        ({"type": "pin_added", "channel_id": "C1", "item": {"type": "message"}}, None),
        ({"type": "pin_added"}, None),
    ],
    ids=[
        "pin",
        "unreact",
        "anonymous",
        "other-reaction",
        "file",
        "file-by-id",
        "file-comment",
        "reaction-on-file",
        "reaction-on-file-comment",
        "no-channel",
        "no-ts",
        "bare",
    ],
)
def test_pin_and_reaction_events_parse_into_pin_changes(
    event: dict[str, Any], expected: PinChange | None
) -> None:
    assert pin_change(event) == expected


def test_a_note_stays_while_anything_still_marks_its_message(bot: BotClient) -> None:
    channel, ts = incident_with_message(bot, "the cache is cold")

    def send(event: dict[str, Any]) -> None:  # one after another, as people do them
        assert send_event(bot, event) == 200
        assert bot.runtime.work.wait_idle()

    def reaction(kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": user,
            "reaction": "pushpin",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": "3.0",
        }

    send(reaction("reaction_added", "U0CAROL"))
    send(reaction("reaction_added", "U0DISC"))
    send(reaction("reaction_removed", "U0DISC"))
    assert [n.kind for n in notes(bot)] == [EventKind.NOTE_ADDED]  # Carol's :pushpin: is on it
    pinned = {
        "type": "pin_added",
        "user": "U0BOB",
        "channel_id": channel,
        "item": {"type": "message", "channel": channel, "message": {"ts": ts, "text": "x"}},
        "event_ts": "4.0",
    }
    send(pinned)
    send(reaction("reaction_removed", "U0CAROL"))
    assert [n.kind for n in notes(bot)] == [EventKind.NOTE_ADDED]  # still pinned
    send({**pinned, "type": "pin_removed"})
    assert [n.kind for n in notes(bot)] == [EventKind.NOTE_ADDED, EventKind.NOTE_WITHDRAWN]


SCREENSHOT = {
    "id": "F0SHOT",
    "name": "error-rate.png",
    "title": "Error rate at 03:10",
    "permalink": "https://stub.slack.com/files/U0CAROL/F0SHOT/error-rate.png",
    "user": "U0CAROL",
}


def test_a_pinned_screenshot_an_alert_and_a_file_keep_their_evidence(bot: BotClient) -> None:
    channel, ts = incident_with_message(bot, "a screenshot")  # Slack's event: text ""
    screenshot_only = {"ts": ts, "text": "", "user": "U0CAROL", "files": [SCREENSHOT]}
    alert = {
        "ts": "7.1",
        "text": "",
        "user": "U0ALERTS",
        "attachments": [
            {"title": "HighErrorRate", "text": "checkout 5xx at 31%", "fallback": "alert"},
            {"fallback": "only a fallback"},
        ],
    }
    for n, message in enumerate([screenshot_only, alert]):
        item = {"type": "message", "channel": channel, "message": message}
        event = {"type": "pin_added", "user": "U0BOB", "channel_id": channel, "item": item}
        assert send_event(bot, {**event, "event_ts": f"{n}.5"}) == 200
        assert len(notes(bot)) == n + 1  # noted before the next: the notes in this order
    pinned_file = {
        "type": "pin_added",
        "user": "U0BOB",
        "channel_id": channel,
        "item": {"type": "file", "file": {**SCREENSHOT, "id": "F0LOGS", "name": "logs.txt"}},
    }
    assert send_event(bot, pinned_file) == 200
    shot, alerted, filed = notes(bot)
    assert shot.text == (
        ":paperclip: Error rate at 03:10 (error-rate.png) " + SCREENSHOT["permalink"]
    )
    assert alerted.text == "HighErrorRate\ncheckout 5xx at 31%\nonly a fallback"
    assert "(logs.txt)" in (filed.text or "")
    assert send_event(bot, {**pinned_file, "type": "pin_removed"}) == 200
    assert [e.kind for e in notes(bot)][-1] is EventKind.NOTE_WITHDRAWN
