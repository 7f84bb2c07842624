"""The Slack Web API stub and the request signing helpers, driven by the real slack_sdk."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Say
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from bot.entrypoints.sandbox import signing
from bot.entrypoints.sandbox.slack_api import (
    HANDLERS,
    OVERLAY_METHODS,
    OVERLAY_RULES,
    SlackApiStub,
    method_rules,
)

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Sev1* db down"}}]
TS = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def stub() -> Iterator[SlackApiStub]:
    with SlackApiStub() as running:
        yield running


@pytest.fixture
def client(stub: SlackApiStub) -> WebClient:
    return WebClient(token=stub.token, base_url=stub.base_url)


def error_of(call: Any) -> str:
    """The Slack error code a WebClient call raised."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.loads(response.read()))


def new_channel(client: WebClient, name: str = "inc-1") -> str:
    return str(client.conversations_create(name=name)["channel"]["id"])


# --- server, auth and the spec -----------------------------------------------------------------


def test_base_url_is_slack_sdk_style_and_stop_frees_it() -> None:
    stub = SlackApiStub().start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", stub.base_url)
    stub.stop()
    stub.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not started"):
        _ = stub.base_url


def test_auth_test_reports_the_bot_identity(client: WebClient, stub: SlackApiStub) -> None:
    reply = client.auth_test()
    assert (reply["user_id"], reply["team_id"], reply["bot_id"]) == (
        stub.identity.bot_user_id,
        stub.identity.team_id,
        stub.identity.bot_id,
    )


@pytest.mark.parametrize(("token", "error"), [("xoxb-wrong", "invalid_auth"), (None, "not_authed")])
def test_bad_or_missing_token_is_rejected(
    stub: SlackApiStub, token: str | None, error: str
) -> None:
    client = WebClient(token=token, base_url=stub.base_url)
    assert error_of(client.auth_test) == error
    assert [c.valid for c in stub.invalid_calls()] == [False]
    assert stub.calls[0].status == 200


def test_token_is_accepted_in_a_form_body_but_not_in_a_json_body(stub: SlackApiStub) -> None:
    url = stub.base_url + "auth.test"
    form = raw_post(url, b"token=xoxb-test-token", {"Content-Type": signing.FORM})
    as_json = raw_post(url, b'{"token": "xoxb-test-token"}', {"Content-Type": signing.JSON})
    assert (form["ok"], as_json.get("error")) == (True, "not_authed")
    assert "token" not in stub.calls[0].params


def test_unknown_method_is_rejected_and_recorded_invalid(
    client: WebClient, stub: SlackApiStub
) -> None:
    assert error_of(lambda: client.api_call("incidents.declare")) == "unknown_method"
    assert [c.method for c in stub.invalid_calls()] == ["incidents.declare"]


def test_retired_files_upload_is_rejected(client: WebClient, stub: SlackApiStub) -> None:
    assert error_of(lambda: client.api_call("files.upload", params={"content": "x"})) == (
        "method_deprecated"
    )
    assert not stub.calls[0].valid


@pytest.mark.parametrize(
    ("method", "params", "field"),
    [
        ("chat.postMessage", {"text": "hi"}, "channel"),  # required in the spec
        ("chat.getPermalink", {"channel": "C1"}, "message_ts"),  # required in the spec
        ("conversations.create", {"is_private": False}, "name"),  # overlay
        ("pins.add", {"channel": "C1"}, "timestamp"),  # overlay
        ("views.open", {"view": {"type": "modal"}}, "trigger_id"),  # spec, query param
        ("files.completeUploadExternal", {"channel_id": "C1"}, "files"),  # overlay method
    ],
)
def test_missing_required_param_is_invalid_arguments(
    client: WebClient, stub: SlackApiStub, method: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call(method, json=params)
    assert raised.value.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] missing required field: {field}"]},
    }
    assert stub.calls_to(method)[0].valid is False


def test_post_message_without_any_content_is_no_text(client: WebClient) -> None:
    channel = new_channel(client)
    # api_call: chat_postMessage itself warns (UserWarning) when text is missing
    post = lambda: client.api_call("chat.postMessage", json={"channel": channel})  # noqa: E731
    assert error_of(post) == "no_text"


def test_methods_without_a_handler_answer_ok(client: WebClient, stub: SlackApiStub) -> None:
    assert client.api_call("team.info").data == {"ok": True}
    assert client.api_call("bookmarks.list", params={"channel_id": "C1"}).data == {"ok": True}
    assert all(call.valid for call in stub.calls)


def test_overlays_match_the_spec() -> None:
    rules = method_rules()
    spec_methods = set(rules) - set(OVERLAY_METHODS)
    assert not set(OVERLAY_METHODS) & spec_methods - set(OVERLAY_METHODS)
    assert set(OVERLAY_RULES) <= spec_methods
    assert set(HANDLERS) <= set(rules)
    assert rules["chat.update"].required == ("channel", "ts")
    assert not rules["oauth.v2.access"].needs_token


# --- channels -------------------------------------------------------------------------------------


def test_create_channel_generates_an_id(client: WebClient, stub: SlackApiStub) -> None:
    reply = client.conversations_create(name="inc-42-db-down")
    channel = reply["channel"]
    assert re.fullmatch(r"C\w+", channel["id"])
    assert stub.channel("inc-42-db-down").id == channel["id"]
    assert channel["is_member"] and channel["creator"] == stub.identity.bot_user_id
    assert stub.calls_to("conversations.create")[0].params == {"name": "inc-42-db-down"}


def test_create_channel_rejects_a_taken_name(client: WebClient, stub: SlackApiStub) -> None:
    new_channel(client, "inc-1")
    assert error_of(lambda: client.conversations_create(name="inc-1")) == "name_taken"
    assert len(stub.channels) == 1
    assert stub.calls[-1].valid  # a state error, not a malformed call


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Inc-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc.1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
    ],
)
def test_create_channel_rejects_invalid_names(client: WebClient, name: str, error: str) -> None:
    assert error_of(lambda: client.conversations_create(name=name)) == error


def test_channel_name_of_80_allowed_chars_is_accepted(client: WebClient) -> None:
    assert client.conversations_create(name="a_1-" * 20)["ok"]


def test_invite_join_members_topic_and_info(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    stub.add_user("U2", "bob")
    channel = new_channel(client)
    client.conversations_invite(channel=channel, users="U1,U2")
    client.conversations_setTopic(channel=channel, topic="Sev1: db down")
    info = client.conversations_info(channel=channel)["channel"]
    members = client.conversations_members(channel=channel)["members"]
    assert (info["topic"]["value"], info["num_members"]) == ("Sev1: db down", 3)
    assert members == [stub.identity.bot_user_id, "U1", "U2"]


def test_invite_errors(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    channel = new_channel(client)
    client.conversations_invite(channel=channel, users="U1")
    assert error_of(lambda: client.conversations_invite(channel=channel, users="U1")) == (
        "already_in_channel"
    )
    assert error_of(lambda: client.conversations_invite(channel=channel, users="U404")) == (
        "user_not_found"
    )
    assert error_of(lambda: client.conversations_invite(channel="C404", users="U1")) == (
        "channel_not_found"
    )


def test_join_an_existing_channel(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_channel("C0000GENERAL", "general", members=["U1"])
    assert client.conversations_join(channel="C0000GENERAL")["channel"]["is_member"]
    again = client.conversations_join(channel="C0000GENERAL")
    assert again["warning"] == "already_in_channel"
    assert stub.channel("general").members == ["U1", stub.identity.bot_user_id]


# --- messages ---------------------------------------------------------------------------------


def test_post_and_update_a_message_with_blocks(client: WebClient, stub: SlackApiStub) -> None:
    channel = new_channel(client)
    posted = client.chat_postMessage(channel=channel, text="Sev1 declared", blocks=BLOCKS)
    assert TS.match(posted["ts"]) and posted["channel"] == channel
    assert posted["message"]["blocks"] == BLOCKS
    new_blocks = [{"type": "divider"}]
    updated = client.chat_update(channel=channel, ts=posted["ts"], text="Sev1", blocks=new_blocks)
    assert updated["ts"] == posted["ts"]
    [message] = stub.messages(channel)
    assert (message["text"], message["blocks"]) == ("Sev1", new_blocks)
    assert [c.blocks for c in stub.calls[1:]] == [BLOCKS, new_blocks]


def test_blocks_as_a_form_encoded_json_string_are_parsed(
    client: WebClient, stub: SlackApiStub
) -> None:
    channel = new_channel(client)
    params = {"channel": channel, "blocks": json.dumps(BLOCKS)}
    client.api_call("chat.postMessage", params=params)  # form-encoded, like curl -d
    assert stub.calls_to("chat.postMessage")[0].blocks == BLOCKS
    assert stub.messages(channel)[0]["blocks"] == BLOCKS


@pytest.mark.parametrize("blocks", ["[{not json", '{"type": "divider"}'])
def test_blocks_that_are_not_a_json_array_are_invalid(
    client: WebClient, stub: SlackApiStub, blocks: str
) -> None:
    channel = new_channel(client)
    params = {"channel": channel, "blocks": blocks}
    assert error_of(lambda: client.api_call("chat.postMessage", params=params)) == (
        "invalid_blocks"
    )
    assert stub.messages(channel) == []
    assert not stub.calls[-1].valid


def test_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    channel = new_channel(client)
    stamps = [client.chat_postMessage(channel=channel, text=str(i))["ts"] for i in range(3)]
    assert stamps[0] == "1700000000.000100"
    assert stamps == sorted(set(stamps), key=float)


def test_posting_to_a_user_id_lands_in_the_bots_dm(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    posted = client.chat_postMessage(channel="U1", text="you are incident commander")
    assert posted["channel"].startswith("D")
    again = client.chat_postMessage(channel="U1", text="reminder")
    assert again["channel"] == posted["channel"]
    assert [m["text"] for m in stub.messages(posted["channel"])][-1] == "reminder"


def test_messages_of_an_unknown_channel_is_a_key_error(stub: SlackApiStub) -> None:
    stub.add_channel("C1", "general")
    with pytest.raises(KeyError, match="C1 #general"):
        stub.messages("inc-1")


def test_update_of_an_unknown_message_is_message_not_found(client: WebClient) -> None:
    channel = new_channel(client)
    update = lambda: client.chat_update(channel=channel, ts="1.000001", text="x")  # noqa: E731
    assert error_of(update) == "message_not_found"


def test_post_to_an_unknown_channel_is_channel_not_found(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")) == (
        "channel_not_found"
    )


def test_ephemeral_permalink_pins_and_reactions(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    channel = new_channel(client)
    ts = client.chat_postMessage(channel=channel, text="status")["ts"]
    assert TS.match(client.chat_postEphemeral(channel=channel, user="U1", text="hi")["message_ts"])
    link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{channel}/p{ts.replace('.', '')}")
    client.pins_add(channel=channel, timestamp=ts)
    assert error_of(lambda: client.pins_add(channel=channel, timestamp=ts)) == "already_pinned"
    client.pins_remove(channel=channel, timestamp=ts)
    client.reactions_add(channel=channel, timestamp=ts, name="eyes")
    assert stub.messages(channel)[0]["reactions"][0]["name"] == "eyes"
    assert stub.channel(channel).pins == []


# --- views, users, usergroups -------------------------------------------------------------------


def test_views_open_and_update(client: WebClient, stub: SlackApiStub) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    opened = client.views_open(trigger_id="1.2.abc", view=modal)["view"]
    assert re.fullmatch(r"V\w+", opened["id"]) and opened["title"] == modal["title"]
    updated = client.views_update(view_id=opened["id"], view={**modal, "blocks": BLOCKS})
    assert updated["view"]["id"] == opened["id"]
    assert stub.calls_to("views.update")[0].view == {**modal, "blocks": BLOCKS}
    assert error_of(lambda: client.views_update(view_id="V404", view=modal)) == "not_found"


def test_view_that_is_not_json_is_invalid_arguments(client: WebClient) -> None:
    params = {"trigger_id": "1.2.abc", "view": "{oops"}
    assert error_of(lambda: client.api_call("views.open", params=params)) == "invalid_arguments"


def test_users_info_has_a_configurable_tz(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    stub.add_user("U2", "kenji", tz="Asia/Tokyo")
    assert client.users_info(user="U1")["user"]["tz"] == "America/New_York"
    kenji = client.users_info(user="U2")["user"]
    assert (kenji["tz"], kenji["tz_offset"]) == ("Asia/Tokyo", 9 * 3600)
    assert error_of(lambda: client.users_info(user="U404")) == "user_not_found"


def test_usergroup_members(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_usergroup("S1", "oncall-db", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S404")) == "no_such_subteam"


# --- files --------------------------------------------------------------------------------------


def test_files_upload_v2_stores_the_content(client: WebClient, stub: SlackApiStub) -> None:
    channel = new_channel(client)
    reply = client.files_upload_v2(channel=channel, content="# Timeline\n", filename="x.md")
    [stored] = stub.files.values()
    assert (stored.content, stored.filename, stored.channels) == (
        b"# Timeline\n",
        "x.md",
        [channel],
    )
    assert reply["file"]["id"] == stored.id
    url_call = stub.calls_to("files.getUploadURLExternal")[0]
    assert url_call.response["upload_url"].startswith(stub.server_url + "/upload/")
    assert url_call.params == {"filename": "x.md", "length": "11"}
    assert [c.method for c in stub.calls[1:]] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_completing_an_upload_that_never_happened_fails(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="x.md", length=3)["file_id"]
    complete = lambda: client.files_completeUploadExternal(files=[{"id": file_id}])  # noqa: E731
    assert error_of(complete) == "file_not_found"


# --- faults, latency, recording -----------------------------------------------------------------


def test_fail_next_surfaces_as_slack_api_error(client: WebClient, stub: SlackApiStub) -> None:
    extra = {"needed": "channels:manage", "provided": "chat:write"}
    stub.fail_next("conversations.create", extra=extra)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_create(name="inc-1")
    assert raised.value.response.data == {"ok": False, "error": "missing_scope", **extra}
    assert stub.channels == {}
    assert client.conversations_create(name="inc-1")["ok"]
    assert [c.ok for c in stub.calls] == [False, True] and stub.calls[0].valid


def test_a_fault_waits_for_a_well_formed_call(client: WebClient, stub: SlackApiStub) -> None:
    channel = new_channel(client)
    stub.fail_next("chat.postMessage", error="not_in_channel")
    bad = lambda: client.api_call("chat.postMessage", json={"text": "x"})  # noqa: E731
    assert error_of(bad) == "invalid_arguments"
    post = lambda: client.chat_postMessage(channel=channel, text="x", blocks=BLOCKS)  # noqa: E731
    assert error_of(post) == "not_in_channel"
    faulted = stub.calls[-1]
    assert (faulted.valid, faulted.blocks) == (True, BLOCKS)
    assert stub.messages(channel) == []


def test_a_stub_bug_is_a_loud_500_not_a_dropped_connection(
    client: WebClient, stub: SlackApiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> dict[str, Any]:
        raise ZeroDivisionError("stub bug")

    monkeypatch.setitem(HANDLERS, "team.info", boom)
    with pytest.raises(SlackApiError) as raised:
        client.team_info()
    assert raised.value.response.status_code == 500
    assert "ZeroDivisionError" in raised.value.response["detail"]
    assert stub.invalid_calls()[0].method == "team.info"


def test_fail_next_rejects_a_method_slack_does_not_have(stub: SlackApiStub) -> None:
    with pytest.raises(ValueError, match=r"chat\.postMesage"):
        stub.fail_next("chat.postMesage")


def test_rate_limit_is_retried_by_slack_sdk_after_retry_after(
    client: WebClient, stub: SlackApiStub
) -> None:
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    stub.rate_limit_next("auth.test", retry_after=1)
    assert client.auth_test()["ok"]
    limited, retried = stub.calls_to("auth.test")
    assert (limited.status, limited.response["error"], retried.status) == (429, "ratelimited", 200)
    assert retried.time - limited.time >= 1.0


def test_rate_limit_without_a_retry_handler_raises(client: WebClient, stub: SlackApiStub) -> None:
    stub.rate_limit_next("chat.postMessage", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C1", text="x")
        assert raised.value.response.status_code == 429
        assert raised.value.response.headers["Retry-After"] == "7"
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="x")) == (
        "channel_not_found"
    )


def test_latency_delays_every_answer(client: WebClient, stub: SlackApiStub) -> None:
    stub.set_latency(0.3)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.3


def test_wait_for_blocks_until_the_call_arrives(client: WebClient, stub: SlackApiStub) -> None:
    channel = new_channel(client)
    later = threading.Timer(0.2, lambda: client.chat_postMessage(channel=channel, text="late"))
    started = time.monotonic()
    later.start()
    [call] = stub.wait_for("chat.postMessage", predicate=lambda c: c.params["text"] == "late")
    later.join()
    assert call.ok
    assert time.monotonic() - started < 2  # woken by the call, not by the 5 s timeout


def test_wait_for_times_out_with_the_calls_seen(client: WebClient, stub: SlackApiStub) -> None:
    new_channel(client)
    started = time.monotonic()
    with pytest.raises(AssertionError) as raised:
        stub.wait_for("chat.postMessage", count=2, timeout=0.2)
    assert 0.2 <= time.monotonic() - started < 2
    message = str(raised.value)
    assert "2 call(s) to chat.postMessage; 0 matched" in message
    assert "conversations.create [200 ok] params={'name': 'inc-1'}" in message


def test_concurrent_calls_are_all_recorded_with_unique_ts(
    client: WebClient, stub: SlackApiStub
) -> None:
    channel = new_channel(client)
    post = lambda i: client.chat_postMessage(channel=channel, text=str(i))  # noqa: E731
    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = {message["ts"] for message in stub.messages(channel)}
    assert len(stamps) == len(stub.wait_for("chat.postMessage", count=20)) == 20


def test_reset_forgets_calls_state_and_faults(client: WebClient, stub: SlackApiStub) -> None:
    stub.add_user("U1", "alice")
    new_channel(client)
    stub.fail_next("auth.test")
    stub.reset()
    assert (stub.calls, stub.channels) == ([], {})
    assert client.auth_test()["ok"]
    assert error_of(lambda: client.users_info(user="U1")) == "user_not_found"
    assert client.conversations_create(name="inc-1")["ok"]


# --- signing ------------------------------------------------------------------------------------

SLACK_DOCS_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOCS_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_sign_matches_the_example_in_slacks_docs() -> None:
    headers = signing.sign(SLACK_DOCS_BODY, SLACK_DOCS_SECRET, timestamp=1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_sign_matches_an_independent_hmac() -> None:
    body = signing.event_body({"type": "app_mention", "text": "héllo"}, event_time=1)
    expected = hmac.new(b"s3cret", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert signing.sign(body, "s3cret", 1700000000)["X-Slack-Signature"] == f"v0={expected}"


def test_slack_sdk_signature_verifier_accepts_the_headers() -> None:
    body = signing.slash_command_body(text="sev1 checkout is down")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, signing.sign(body, "s3cret"))
    assert not verifier.is_valid_request(body + b"x", signing.sign(body, "s3cret"))
    assert not verifier.is_valid_request(body, signing.sign(body, "other"))
    stale = signing.sign(body, "s3cret", int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_slash_command_body_is_form_encoded_like_slack() -> None:
    body = signing.slash_command_body(text="sev1 db down & slow", user_id="U9", trigger_id="t1")
    assert b"command=%2Fincident&text=sev1+db+down+%26+slow" in body
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert (fields["user_id"], fields["trigger_id"], fields["text"]) == (
        "U9",
        "t1",
        "sev1 db down & slow",
    )
    assert fields["response_url"].startswith("https://hooks.slack.com/commands/")


def test_interactivity_and_event_bodies() -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "ack"}]}
    form = parse_qs(signing.interactivity_body(payload).decode())
    assert json.loads(form["payload"][0]) == payload
    envelope = json.loads(signing.event_body({"type": "app_mention"}, event_id="Ev1"))
    assert (envelope["type"], envelope["event"], envelope["event_id"]) == (
        "event_callback",
        {"type": "app_mention"},
        "Ev1",
    )


# --- the whole loop: signed request -> Bolt app -> stub ----------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log in test output."""


@pytest.fixture
def bolt_url(stub: SlackApiStub) -> Iterator[str]:
    app = App(signing_secret="s3cret", client=WebClient(token=stub.token, base_url=stub.base_url))

    @app.command("/incident")
    def declare(ack: Ack, say: Say, command: dict[str, Any]) -> None:
        ack()
        say(f"declared: {command['text']}")

    server: WSGIServer = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()
    thread.join()


def test_signed_slash_command_reaches_bolt_and_its_reply_reaches_the_stub(
    stub: SlackApiStub, bolt_url: str
) -> None:
    stub.add_channel("C0000GENERAL", "general")
    body = signing.slash_command_body(text="sev1 db down", channel_id="C0000GENERAL")
    status, _, _ = signing.post(bolt_url, body, signing.FORM, "s3cret")
    assert status == 200
    [call] = stub.wait_for("chat.postMessage")
    assert stub.messages("general")[0]["text"] == "declared: sev1 db down"
    assert call.valid and not stub.invalid_calls()


def test_badly_signed_request_is_refused_by_bolt(stub: SlackApiStub, bolt_url: str) -> None:
    body = signing.slash_command_body()
    status, _, _ = signing.post(bolt_url, body, signing.FORM, "wrong-secret")
    assert status == 401
    assert stub.calls_to("chat.postMessage") == []
