"""Unicode at the edges, against the real bot over HTTP and Socket Mode: lone surrogates (half
an emoji) in any JSON body, wrong-typed events and interactivity, very long combining text."""

from __future__ import annotations

import itertools
import json
import logging
import time

from bot.entrypoints.sandbox import signing
from tests.adapters.slack.conftest import SECRET

N = itertools.count(5000)


def post(bot, body, ct=signing.FORM):
    t = time.monotonic()
    status, _, reply = signing.post(f"{bot.url}/slack/events", body, ct, SECRET)
    return status, reply, time.monotonic() - t


def bad(caplog):
    return [
        (r.getMessage(), r.exc_info and repr(r.exc_info[1]))
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]


def sev2(bot, title="checkout is slow"):
    bot.reply(bot.command(f"sev2 {title}"))
    assert bot.runtime.work.wait_idle()
    return str(bot.slack.calls_to("conversations.create")[-1].response["channel"]["id"])


def event(ev):
    return json.dumps(
        {
            "token": "t",
            "team_id": "T0000STUB",
            "api_app_id": "A0000STUB",
            "type": "event_callback",
            "event_id": f"Ev{next(N)}",
            "event_time": int(time.time()),
            "event": ev,
        }
    ).encode()


def update_form(ch_meta, impact):
    return {
        "type": "view_submission",
        "team": {"id": "T0000STUB"},
        "user": {"id": "U0BOB"},
        "trigger_id": f"t{next(N)}",
        "view": {
            "id": f"V{next(N)}",
            "type": "modal",
            "callback_id": "incident.status_update",
            "private_metadata": ch_meta,
            "state": {
                "values": {
                    "impact": {"value": {"type": "plain_text_input", "value": impact}},
                    "affected": {"value": {"type": "plain_text_input", "value": "5%"}},
                    "action": {"value": {"type": "plain_text_input", "value": "b"}},
                    "next": {
                        "value": {"type": "static_select", "selected_option": {"value": "30m"}}
                    },
                }
            },
        },
    }


def test_lone_surrogate_in_a_pinned_message(bot, caplog):
    """JSON may carry \\ud83d alone (a phone's cut emoji): the pin must be 2xx, no traceback."""
    ch = sev2(bot)
    raw = event(
        {
            "type": "pin_added",
            "user": "U0BOB",
            "channel_id": ch,
            "event_ts": "1.1",
            "item": {
                "type": "message",
                "channel": ch,
                "created_by": "U0BOB",
                "message": {
                    "type": "message",
                    "user": "U0BOB",
                    "ts": "1.5",
                    "text": "LONE_SURROGATE rollback done",
                },
            },
        }
    )
    raw = raw.replace(b"LONE_SURROGATE", b"\\ud83d")
    caplog.clear()
    s, _r, _dt = post(bot, raw, signing.JSON)
    assert bot.runtime.work.wait_idle()
    assert s == 200 and not bad(caplog)


def test_lone_surrogate_in_a_form(bot, caplog):
    sev2(bot)
    caplog.clear()
    body = signing.interactivity_body(update_form("", "x"))
    # put a lone surrogate escape into the impact
    s0 = json.dumps(update_form("", "IMPACTX"))
    body = signing.interactivity_body(json.loads(s0))
    body = body.replace(b"IMPACTX", b"%5Cud800")
    s, _r, _dt = post(bot, body)
    assert bot.runtime.work.wait_idle()
    assert s < 500 and not bad(caplog)


def test_wrong_types_everywhere(bot, caplog):
    ch = sev2(bot)
    cases = []
    for ev in [
        {
            "type": "reaction_added",
            "user": "U0BOB",
            "reaction": "pushpin",
            "item": "x",
            "event_ts": "1",
        },
        {
            "type": "reaction_added",
            "user": ["U"],
            "reaction": "pushpin",
            "item": {"type": "message", "channel": ch, "ts": 5},
            "event_ts": "1",
        },
        {
            "type": "reaction_added",
            "user": "U0BOB",
            "reaction": None,
            "item": {"type": "message", "channel": ch, "ts": "1.1"},
            "event_ts": "1",
        },
        {
            "type": "pin_added",
            "user": "U0BOB",
            "channel_id": ch,
            "item": {"type": "message", "message": {"text": 5, "ts": "1"}},
            "event_ts": "1",
        },
        {
            "type": "pin_added",
            "user": "U0BOB",
            "channel_id": ch,
            "item": {
                "type": "message",
                "message": {"text": "x", "ts": "1", "files": [{"name": 3}], "attachments": "no"},
            },
            "event_ts": "1",
        },
        {
            "type": "pin_removed",
            "user": "U0BOB",
            "channel_id": ch,
            "item": {"type": "message", "message": {"ts": {"a": 1}}},
            "event_ts": "1",
        },
        {"type": "pin_added", "user": "U0BOB", "channel_id": 7, "item": None, "event_ts": "1"},
    ]:
        cases.append(("ev " + json.dumps(ev)[:80], event(ev), signing.JSON))
    for p in [
        {"type": "block_actions", "user": {"id": "U0BOB"}, "actions": "x"},
        {
            "type": "block_actions",
            "user": {"id": "U0BOB"},
            "actions": [{"action_id": "incident.ack", "value": ["a"]}],
            "channel": {"id": ch},
        },
        {"type": "block_actions", "user": {"id": "U0BOB"}, "actions": [{"action_id": 5}]},
        {
            "type": "view_submission",
            "user": {"id": "U0BOB"},
            "view": {
                "callback_id": "incident.status_update",
                "state": {"values": {"impact": {"value": {"value": 5}}}},
                "private_metadata": ch,
            },
        },
        {
            "type": "view_submission",
            "user": {"id": "U0BOB"},
            "view": {
                "callback_id": "incident.status_update",
                "state": {"values": []},
                "private_metadata": None,
            },
        },
        {
            "type": "view_closed",
            "user": {"id": "U0BOB"},
            "view": {"callback_id": "incident.status_update"},
            "is_cleared": False,
        },
        {
            "type": "message_action",
            "callback_id": "incident.follow_up",
            "user": {"id": "U0BOB"},
            "channel": {"id": ch},
            "message": {"ts": "1.5", "text": None},
        },
        {
            "type": "message_action",
            "callback_id": "incident.follow_up",
            "user": {"id": "U0BOB"},
            "channel": {"id": ch},
            "message": {"ts": "1.5", "text": "x", "files": "f", "attachments": [1]},
        },
        {"type": "shortcut", "callback_id": "incident.follow_up", "user": {"id": "U0BOB"}},
        {"type": "block_suggestion", "user": {"id": "U0BOB"}, "action_id": "x", "value": "a"},
    ]:
        p = {
            "team": {"id": "T0000STUB"},
            "trigger_id": f"t{next(N)}",
            "response_url": bot.slack.response_url(f"k{next(N)}"),
            **p,
        }
        cases.append(("ia " + json.dumps(p)[:100], signing.interactivity_body(p), signing.FORM))
    out = []
    for name, body, ct in cases:
        caplog.clear()
        s, r, dt = post(bot, body, ct)
        bot.runtime.work.wait_idle()
        b = bad(caplog)
        out.append((s, round(dt, 2), name, r[:80], b[:2]))
    for o in out:
        print(o)
    assert not [o for o in out if o[0] >= 500 or o[4] or o[1] >= 3]


def test_lone_surrogate_in_the_update_form(bot, caplog):
    """A form's text with a lone surrogate: answered, no traceback."""
    sev2(bot)
    caplog.clear()
    s0 = json.dumps(update_form("1 15m 1h", "IMPACTX"))
    body = signing.interactivity_body(json.loads(s0)).replace(b"IMPACTX", b"%5Cud800")
    s, _r, _dt = post(bot, body)
    assert bot.runtime.work.wait_idle()
    assert s < 500 and not bad(caplog)


def test_title_with_zwj_and_rtl(bot, caplog):
    """A long title ending in an emoji ZWJ sequence; RTL override and zero-width chars."""
    fam = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    title = "\u202eevil\u202c checkout\u200b " + "a" * 180 + fam * 5 + " end"
    caplog.clear()
    sent = bot.command(f"sev2 {title}")
    assert bot.runtime.work.wait_idle()
    bot.slack.calls_to("conversations.create")
    for c in bot.slack.calls:
        t = json.dumps(c.params, ensure_ascii=False)
        if "evil" in t:
            print(c.method, t[:200].encode("unicode_escape")[:300])
    assert sent.status == 200 and not bad(caplog)


def test_huge_note_of_combining_marks(bot, caplog):
    """A 60,000-character note of combining marks and ZWJ emoji: 2xx within 3 s, posts within
    limits."""
    ch = sev2(bot)
    caplog.clear()
    t = time.monotonic()
    sent = bot.command(
        "note " + ("e\u0301\u0302 \U0001f468\u200d\U0001f4bb <@U0BOB> " * 4000), channel=ch
    )
    time.monotonic() - t
    assert bot.runtime.work.wait_idle()
    assert sent.status == 200 and not bad(caplog)


def test_socket_mode_slash_command_with_a_lone_surrogate(bot, caplog):
    """Over Socket Mode a command's text is JSON: a lone surrogate must not crash the
    declaration."""
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.entrypoints import socket_mode

    payload = {
        "team_id": bot.slack.identity.team_id,
        "channel_id": "C0GENERAL",
        "user_id": "U0ALICE",
        "command": "/incident",
        "text": "sev2 checkout \ud83d slow",
        "trigger_id": "tsock1",
        "response_url": bot.slack.response_url("sock1"),
    }
    caplog.clear()
    status = socket_mode.answer(
        bot.runtime.bolt, SocketModeRequest("slash_commands", "envs1", payload)
    ).status
    assert bot.runtime.work.wait_idle()
    assert status == 200 and not bad(caplog)
    assert bot.slack.calls_to("conversations.create")
