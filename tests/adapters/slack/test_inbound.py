"""Slack's requests at the door, from outside: signed requests over HTTP to the running bot.

Every signed, well-formed request Slack can send is answered 2xx and reaches our code, whatever
its text; a malformed one is refused with 400 and one log line; a bad signature with 401.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import time
import urllib.error
import urllib.request
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.adapters.db.incidents import Incidents
from bot.adapters.slack import inbound, updates
from bot.adapters.slack.verbs import VERBS
from bot.core import bidi
from bot.entrypoints import http, logs, socket_mode
from bot.entrypoints.sandbox import signing
from tests.adapters.slack.conftest import GENERAL, SECRET, BotClient

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "slack-app-manifest.yaml"
OVER_HTTP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def post(bot: BotClient, body: bytes, content_type: str = signing.FORM) -> int:
    status, _, _ = signing.post(f"{bot.url}/slack/events", body, content_type, SECRET)
    return status


def slack_typed(text: str) -> str:
    """What Slack sends for ``text`` typed after a command with should_escape: &, <, > escaped."""
    return html_escape(text, quote=False)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# --- the class Bolt's body parsing misread -------------------------------------------------------

MISREAD = [
    "sev3 payload service is down",  # "payload" anywhere in a form body: Bolt read it as {}
    "sev3 payload=broken",
    "sev3 ssl_check=1 fails",
    'sev3 {"json": "looking"}',
    "sev3 a&b=c%20d+e",
    "sev3 type=url_verification challenge=x",
    "sev3 token=x&command=/other",
]


@pytest.mark.parametrize("text", MISREAD)
def test_command_texts_bolt_misread_reach_our_code(bot: BotClient, text: str) -> None:
    sent = bot.command(slack_typed(text))
    assert sent.status == 200
    assert "ticket INC-1" in bot.reply(sent)["text"]
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert stored.incident.title == slack_typed(text.removeprefix("sev3 "))


def test_a_channel_or_person_named_payload_is_heard_too(bot: BotClient) -> None:
    body = signing.slash_command_body(
        text="help",
        user_id="U0ALICE",
        user_name="payload",
        channel_id=GENERAL,
        channel_name="payload-team",
        team_id=bot.slack.identity.team_id,
    )
    status, _, answer = signing.post(f"{bot.url}/slack/events", body, signing.FORM, SECRET)
    assert status == 200
    assert "/incident commands" in answer.decode()


VERB_WORDS = [verb.name for verb in VERBS] + ["1", "#1", ""]


@settings(OVER_HTTP)
@given(
    verb=st.sampled_from(VERB_WORDS),
    typed=st.text(st.characters(codec="utf-8"), max_size=300),
    in_its_channel=st.booleans(),
)
def test_any_command_text_is_answered_2xx(
    bot: BotClient, verb: str, typed: str, in_its_channel: bool
) -> None:
    """Any verb, anything after it, in an incident's channel or not: answered, and every
    Slack call it makes is one Slack takes."""
    channel = GENERAL
    if in_its_channel:
        if not bot.slack.calls_to("conversations.create"):
            bot.reply(bot.command("sev2 checkout is slow"))
        channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    assert bot.command(slack_typed(f"{verb} {typed}"), channel=channel).status == 200
    assert bot.runtime.work.wait_idle()
    assert all(call.valid for call in bot.slack.calls), [c.summary() for c in bot.slack.calls]


@settings(OVER_HTTP)
@given(title=st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Z"]), min_size=1))
@example(title="\u202a")  # an embedding left open: closed in the record
def test_any_title_is_recorded_as_typed(bot: BotClient, title: str) -> None:
    sent = bot.command(f"sev3 {slack_typed(title)}")
    assert sent.status == 200
    bot.reply(sent)
    # Bidirectional controls left open are closed at the door (they would reorder what follows).
    typed = bidi.closed(" ".join(slack_typed(title).split()))
    with bot.runtime.sessions() as session:
        stored = Incidents(session).open()[-1]  # the newest
    kept = stored.description or stored.incident.title  # a long title: shortened, kept whole
    assert kept == typed
    assert all(call.valid for call in bot.slack.calls), [c.summary() for c in bot.slack.calls]


# --- Slack's own requests ------------------------------------------------------------------------


def test_slacks_checks_are_answered(bot: BotClient) -> None:
    assert post(bot, urlencode({"ssl_check": "1", "token": "t"}).encode()) == 200
    challenge = {"type": "url_verification", "challenge": "abc", "token": "t"}
    status, _, answer = signing.post(
        f"{bot.url}/slack/events", json.dumps(challenge).encode(), signing.JSON, SECRET
    )
    assert (status, json.loads(answer)) == (200, {"challenge": "abc"})
    assert post(bot, json.dumps({"type": "app_rate_limited"}).encode(), signing.JSON) == 200


def test_every_event_the_manifest_subscribes_to_is_answered_2xx(bot: BotClient) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    for kind in manifest["settings"]["event_subscriptions"]["bot_events"]:
        event = {"type": kind, "user": "U0BOB", "channel_id": GENERAL, "item": {"type": "file"}}
        body = signing.event_body(event, team_id=bot.slack.identity.team_id)
        assert post(bot, body, signing.JSON) == 200, kind


# Slack's documented items for each event the manifest subscribes to (pin_added/pin_removed:
# https://api.slack.com/events/pin_added, reaction_added/reaction_removed: .../reaction_added).
_FILE = {"id": "F0123", "name": "shot.png", "title": "<b>shot</b>", "permalink": "https://x/F0123"}
DOCUMENTED_ITEMS = {
    "pin": [
        {"type": "message", "channel": GENERAL, "message": {"ts": "1.5", "text": "x", "user": "U"}},
        {"type": "file", "channel": GENERAL, "created": 1, "created_by": "U0BOB", "file": _FILE},
        {"type": "file", "file": "F0123"},
        {"type": "file_comment", "comment": {"id": "Fc01", "comment": "hi"}, "file": _FILE},
    ],
    "reaction": [
        {"type": "message", "channel": GENERAL, "ts": "1.5"},
        {"type": "file", "file": "F0123"},
        {"type": "file_comment", "file_comment": "Fc01", "file": "F0123"},
    ],
}


def test_every_documented_item_of_every_subscribed_event_is_answered_2xx(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))
    manifest = yaml.safe_load(MANIFEST.read_text())
    for kind in manifest["settings"]["event_subscriptions"]["bot_events"]:
        family = "reaction" if kind.startswith("reaction") else "pin"
        for item in DOCUMENTED_ITEMS[family]:
            event = {"type": kind, "user": "U0BOB", "reaction": "pushpin", "item": item}
            if family == "pin":
                event["channel_id"] = GENERAL
            body = signing.event_body(event, team_id=bot.slack.identity.team_id)
            assert post(bot, body, signing.JSON) == 200, (kind, item)
    assert bot.runtime.work.wait_idle()
    assert not tracebacks(caplog)


# --- malformed and unsigned ----------------------------------------------------------------------


def test_a_non_numeric_signature_timestamp_is_401(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    for stamp in ("abc", "", "1e9", "-5", " 1", "²"):
        body = b"command=%2Fincident&text=help&user_id=U0ALICE&channel_id=C0GENERAL"
        request = urllib.request.Request(
            f"{bot.url}/slack/events",
            data=body,
            method="POST",
            headers={
                "Content-Type": signing.FORM,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signing.sign(body, SECRET)["X-Slack-Signature"],
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        assert refused.value.code == 401, stamp
    assert not tracebacks(caplog)


def test_a_body_larger_than_any_slack_payload_is_refused_413_unread(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Unsigned or signed, a body over a megabyte is no Slack payload: refused before it is
    read (and so before its signature is checked), with one log line."""
    body = b"payload=" + b"x" * (http.SLACK_BODY_LIMIT + 1)
    assert post(bot, body) == 413
    unsigned = urllib.request.Request(
        f"{bot.url}/slack/events", data=body, method="POST", headers={"Content-Type": signing.FORM}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    refused.value.close()
    assert refused.value.code == 413
    assert post(bot, b"command=%2Fincident&text=help" + b"&x=" + b"y" * 50_000) != 413
    assert not tracebacks(caplog)
    assert any("over the limit" in r.getMessage() for r in caplog.records)


MALFORMED = {
    "not JSON": (b"{not json", signing.JSON),
    "JSON, not an object": (b"[1, 2]", signing.JSON),
    "a payload that is not JSON": (b"payload=%7Bnot", signing.FORM),
    "a payload that is a list": (b"payload=" + quote("[1]").encode(), signing.FORM),
    "not UTF-8": (b"text=\xff\xfe", signing.FORM),
    "JSON nested too deep": (b"[" * 100_000, signing.JSON),
    "a form field without =": (b"command", signing.FORM),
    "a view without a view": (
        b"payload=" + quote('{"type":"view_submission","user":{"id":"U0BOB"}}').encode(),
        signing.FORM,
    ),
    "actions that are a number": (
        b"payload=" + quote('{"type":"block_actions","actions":3,"user":{"id":"U"}}').encode(),
        signing.FORM,
    ),
    "a command without a user": (b"command=%2Fincident&text=help&channel_id=C1", signing.FORM),
    "a shortcut without a user": (
        b"payload="
        + quote(
            '{"type":"message_action","callback_id":"incident.follow_up","message":{}}'
        ).encode(),
        signing.FORM,
    ),
    "a shortcut whose message is a string": (
        b"payload="
        + quote(
            '{"type":"message_action","callback_id":"incident.follow_up","user":{"id":"U0BOB"},'
            '"message":"hi"}'
        ).encode(),
        signing.FORM,
    ),
    "an event that is a string": (
        json.dumps({"type": "event_callback", "event": "pin_added"}).encode(),
        signing.JSON,
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_request_is_400_with_one_log_line(
    bot: BotClient, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    body, content_type = MALFORMED[name]
    with caplog.at_level(logging.INFO, "bot.adapters.slack.inbound"):
        assert post(bot, body, content_type) == 400
    [line] = [r for r in caplog.records if r.name == "bot.adapters.slack.inbound"]
    assert line.getMessage().startswith("refused a Slack request")
    assert not tracebacks(caplog)


def _button() -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0000STUB"},
        "user": {"id": "U0ALICE"},
        "channel": {"id": GENERAL},
        "container": {"type": "message", "channel_id": GENERAL},
        "trigger_id": "t1",
        "actions": [{"action_id": "incident.ack", "value": "1:investigating:0", "block_id": "b"}],
    }


def _form() -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T0000STUB"},
        "user": {"id": "U0ALICE"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "incident.declare",
            "private_metadata": GENERAL,
            "state": {
                "values": {
                    "title": {"value": {"type": "plain_text_input", "value": "db down"}},
                    "severity": {"value": {"selected_option": {"value": "sev3"}}},
                    "started": {"value": {"selected_date_time": int(time.time()) - 60}},
                }
            },
        },
    }


def _pin() -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0000STUB",
        "event_id": "Ev1",
        "event": {
            "type": "pin_added",
            "user": "U0BOB",
            "channel_id": GENERAL,
            "item": {"type": "message", "message": {"ts": "1.2", "text": "x", "user": "U0BOB"}},
        },
    }


def _shortcut() -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "incident.follow_up",
        "team": {"id": "T0000STUB"},
        "user": {"id": "U0ALICE"},
        "channel": {"id": GENERAL},
        "trigger_id": "t1",
        "message_ts": "1.5",
        "message": {"ts": "1.5", "text": "add retries", "user": "U0BOB"},
    }


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at] if at else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*at, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    changed = copy.deepcopy(value)
    inner = changed
    for step in path[:-1]:
        inner = inner[step]
    inner[path[-1]] = new
    return changed


NONCES = itertools.count()  # the same body twice is a replay, refused as such
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@st.composite
def wrong_typed(draw: st.DrawFn, response_url: str) -> tuple[bytes, str]:
    """A request Slack sends, with one of its fields replaced by any JSON value (the
    response_url, where the answer goes, is Slack's own and stays)."""
    kind = draw(st.sampled_from(["button", "form", "pin", "shortcut"]))
    template = {"button": _button, "form": _form, "pin": _pin, "shortcut": _shortcut}[kind]()
    path = draw(st.sampled_from(_paths(template)))
    mutated = {**_replaced(template, path, draw(JSON_VALUES)), "nonce": next(NONCES)}
    if kind in ("button", "shortcut"):
        mutated["response_url"] = response_url
    if kind == "pin":
        return json.dumps(mutated).encode(), signing.JSON
    return signing.interactivity_body(mutated), signing.FORM


@settings(OVER_HTTP)
@given(data=st.data())
def test_a_wrong_typed_payload_never_gets_a_500_or_a_traceback(
    bot: BotClient, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    caplog.clear()
    request = data.draw(wrong_typed(bot.slack.response_url(f"fuzz{next(NONCES)}")))
    assert post(bot, *request) in (200, 400, 404)
    assert bot.runtime.work.wait_idle()
    assert not tracebacks(caplog)


# --- values of ours, forged ----------------------------------------------------------------------

HUGE = "99999999999999999999"
FORGED_VALUES = [
    f"{HUGE}:investigating:0",
    f"1:investigating:{HUGE}",
    "-1:investigating:0",
    "\u0661:x",
]


def test_a_button_value_with_a_number_no_record_holds_is_answered_without_a_traceback(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))
    for button in VERBS.buttons():
        for value in FORGED_VALUES:
            caplog.clear()
            sent = bot.click(button.action_id, value)
            assert sent.status == 200
            assert bot.runtime.work.wait_idle()
            assert not tracebacks(caplog), (button.action_id, value)
    for value in (f"{HUGE}:sev1", f"1:sev1:sev2:{HUGE}"):
        bot.click("incident.severity", value)
        assert bot.runtime.work.wait_idle()
        assert not tracebacks(caplog), value


@pytest.mark.parametrize("metadata", ["", "abc", f"{HUGE} 15m 1h", "0 15m 1h", "77 15m 1h"])
def test_an_update_form_naming_no_incident_is_answered_without_a_traceback(
    bot: BotClient, caplog: pytest.LogCaptureFixture, metadata: str
) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))

    def typed(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {
        "impact": typed("errors"),
        "affected": typed("5%"),
        "action": typed("rolling back"),
        "next": {"value": {"type": "static_select", "selected_option": {"value": "30m"}}},
    }
    view = {"id": "V9", "type": "modal", "callback_id": updates.CALLBACK}
    view |= {"private_metadata": metadata, "state": {"values": values}}
    sent = bot.interact({"type": "view_submission", "user": {"id": "U0ALICE"}, "view": view})
    assert sent.status == 200
    assert bot.runtime.work.wait_idle()
    assert not tracebacks(caplog)
    if not metadata.isascii() or not metadata[:1].isdigit() or metadata.startswith(HUGE):
        assert sent.json()["errors"] == {"impact": updates.UNREADABLE}
    else:
        [told] = [
            c for c in bot.slack.calls_to("chat.postEphemeral") if "/incident list" in str(c.params)
        ]
        assert "No incident" in str(told.params)


def test_a_follow_up_number_no_record_holds_is_a_usage_error(bot: BotClient) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    sent = bot.command(f"follow-up {HUGE} done", channel=channel)
    assert f"There is no follow-up {HUGE}" in sent.json()["text"]


# --- over Socket Mode: the same checks, but the signature -----------------------------------------


def over_socket_mode(bot: BotClient, payload: dict[str, Any]) -> int:
    request = SocketModeRequest("slash_commands", f"env{next(NONCES)}", payload)
    status = socket_mode.answer(bot.runtime.bolt, request).status
    assert bot.runtime.work.wait_idle()
    return status


def test_over_socket_mode_nul_is_taken_out_and_a_malformed_request_refused(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    command = {
        "team_id": bot.slack.identity.team_id,
        "channel_id": GENERAL,
        "user_id": "U0ALICE",
        "command": "/incident",
        "text": "sev2 bad\x00title",
        "trigger_id": "tr-sock-1",
        "response_url": bot.slack.response_url("sock1"),
    }
    assert over_socket_mode(bot, command) == 200
    bot.slack.wait_for_response("sock1")
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert stored.incident.title == "badtitle"
    malformed = {
        "type": "event_callback",
        "team_id": bot.slack.identity.team_id,
        "event_id": "EvS1",
        "event": {"type": "reaction_added", "user": "U0BOB", "reaction": "pushpin", "item": "x"},
    }
    caplog.clear()
    with caplog.at_level(logging.INFO, "bot.adapters.slack.inbound"):
        assert over_socket_mode(bot, malformed) == 400
        assert over_socket_mode(bot, {**command, "user_id": 5}) == 400
    lines = [r for r in caplog.records if r.name == "bot.adapters.slack.inbound"]
    assert len(lines) == 2 and all(r.getMessage().startswith("refused") for r in lines)
    assert not tracebacks(caplog)


# --- Slack's POSTs answered without Flask, as Flask answered them ---------------------------------


def _payload(kind: str, **fields: Any) -> bytes:
    return signing.interactivity_body({"type": kind, "user": {"id": "U0ALICE"}, **fields})


KINDS = [
    (signing.slash_command_body(text="sev2 a payload=x"), signing.FORM, "command"),
    (_payload("block_actions", actions=[{"action_id": "a", "value": "1"}]), signing.FORM, "action"),
    (_payload("shortcut", callback_id="c"), signing.FORM, "action"),
    (_payload("view_submission", view={"type": "modal"}), signing.FORM, "view"),
    (_payload("view_closed", view={"type": "modal"}), signing.FORM, "view"),
    (_payload("message_action", callback_id="c"), signing.FORM, "unknown"),
    (signing.event_body({"type": "pin_added"}), signing.JSON, "event"),
    (urlencode({"ssl_check": "1", "token": "t"}).encode(), signing.FORM, "unknown"),
]


@pytest.mark.parametrize(("body", "content_type", "kind"), KINDS)
def test_the_kind_the_door_reads_is_the_one_read_again_for_a_refused_request(
    body: bytes, content_type: str, kind: str
) -> None:
    assert inbound.read(body, content_type)[1] == kind
    assert http.request_kind(body, content_type) == kind


def test_other_methods_on_slacks_endpoint_are_flasks_to_answer(bot: BotClient) -> None:
    request = urllib.request.Request(f"{bot.url}/slack/events", method="GET")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    with refused.value as error:
        assert error.code == 405
        assert set(error.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_an_answer_naming_no_content_type_is_sent_with_flasks_default(bot: BotClient) -> None:
    limited = {"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1}
    status, headers, body = signing.post(
        f"{bot.url}/slack/events", json.dumps(limited).encode(), signing.JSON, SECRET
    )
    assert (status, body) == (200, b"")
    assert (headers["Content-Type"], headers["Content-Length"]) == (http.FLASK_DEFAULT_TYPE, "0")


def test_an_exception_at_the_door_is_logged_and_answered_500(
    bot: BotClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def jammed(*_: object) -> inbound.Answer:
        raise RuntimeError("the door is jammed")

    monkeypatch.setattr(inbound.SlackDoor, "answer", jammed)
    with caplog.at_level(logging.ERROR, "bot.entrypoints.http"):
        assert post(bot, signing.slash_command_body(text="help")) == 500
    [line] = [r for r in caplog.records if r.name == "bot.entrypoints.http"]
    assert line.getMessage() == "Exception on /slack/events [POST]"
    assert line.exc_info is not None and "jammed" in str(line.exc_info[1])


class _Bound(logging.Handler):
    """Each line's message and the request id bound when it was logged."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), logs._CONTEXT.get().get("request_id")))


def test_each_request_binds_its_own_id_on_the_ack_and_on_the_work_after_it(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot.reply(bot.command("sev2 checkout is slow"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    now = int(time.time())
    bound = _Bound()
    logging.getLogger().addHandler(bound)
    try:
        with caplog.at_level(logging.INFO):
            first = bot.command("note cache", channel=channel, trigger_id="T-id", timestamp=now)
            again = bot.command("note cache", channel=channel, trigger_id="T-id", timestamp=now - 1)
            assert (first.status, again.status) == (200, 200)
            assert bot.runtime.work.wait_idle()
            body = signing.slash_command_body(text="help", trigger_id="T-replayed")
            assert [post_at(bot, body, now) for _ in range(2)] == [200, 401]
    finally:
        logging.getLogger().removeHandler(bound)
    [(_, after_ack)] = [
        line for line in bound.lines if line[0] == "ignored a repeated Slack delivery"
    ]
    [(_, in_ack)] = [line for line in bound.lines if line[0] == "refused a replayed Slack request"]
    for request_id in (after_ack, in_ack):
        assert isinstance(request_id, str) and len(request_id) == 16 and int(request_id, 16) >= 0
    assert after_ack != in_ack


def post_at(bot: BotClient, body: bytes, timestamp: int) -> int:
    return signing.post(f"{bot.url}/slack/events", body, signing.FORM, SECRET, timestamp)[0]
