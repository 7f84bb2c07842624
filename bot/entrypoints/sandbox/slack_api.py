"""A local Slack Web API over real HTTP, checked against Slack's OpenAPI spec, for e2e tests."""

from __future__ import annotations

import copy
import functools
import itertools
import json
import math
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bot.entrypoints.sandbox import slack_limits

Json = dict[str, Any]
SPEC_PATH = Path(__file__).with_name("slack_web_openapi_v2.json")
API_PREFIX = "/api/"
UPLOAD_PREFIX = "/upload/v1/"
RESPONSE_PREFIX = "/response/"  # response_url of slash commands and interactivity
CHANNEL_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
FIRST_TS = 1_700_000_000_000_100  # microseconds; rendered as "1700000000.000100"

# ---------------------------------------------------------------------------------------------
# What each method requires: the spec, then the overlays


@dataclass(frozen=True)
class AnyOf:
    """At least one of `names` must be given, else Slack answers `error`."""

    names: tuple[str, ...]
    error: str = "invalid_arguments"


@dataclass(frozen=True)
class Rule:
    """What Slack checks before it acts on a call to one method."""

    required: tuple[str, ...] = ()
    any_of: tuple[AnyOf, ...] = ()
    needs_token: bool = True

    def tightened(self, extra: Rule) -> Rule:
        required = tuple(dict.fromkeys(self.required + extra.required))
        return Rule(required, self.any_of + extra.any_of, self.needs_token)


def _rule(*required: str, any_of: tuple[AnyOf, ...] = ()) -> Rule:
    return Rule(required, any_of)


_MESSAGE_CONTENT = AnyOf(("text", "blocks", "attachments"), "no_text")

# Methods Slack added after the spec's last update (October 2020).
OVERLAY_METHODS: dict[str, Rule] = {
    "files.getUploadURLExternal": _rule("filename", "length"),
    "files.completeUploadExternal": _rule("files"),
    "bookmarks.add": _rule("channel_id", "title", "type"),
    "bookmarks.edit": _rule("channel_id", "bookmark_id"),
    "bookmarks.list": _rule("channel_id"),
    "bookmarks.remove": _rule("channel_id", "bookmark_id"),
    "conversations.canvases.create": _rule("channel_id"),
    "conversations.inviteShared": _rule("channel", any_of=(AnyOf(("emails", "user_ids")),)),
    "apps.connections.open": _rule(),
}
# Methods that take the app-level token (xapp-...), not the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
APP_TOKEN = "xapp-1-test-app-token"

# Parameters the spec marks optional but Slack rejects calls without.
OVERLAY_RULES: dict[str, Rule] = {
    "chat.postMessage": _rule("channel", any_of=(_MESSAGE_CONTENT,)),
    "chat.postEphemeral": _rule("channel", "user", any_of=(_MESSAGE_CONTENT,)),
    "chat.update": _rule("channel", "ts"),
    "conversations.create": _rule("name"),
    "conversations.info": _rule("channel"),
    "conversations.list": _rule(),
    "conversations.invite": _rule("channel", "users"),
    "conversations.join": _rule("channel"),
    "conversations.members": _rule("channel"),
    "conversations.setTopic": _rule("channel", "topic"),
    "pins.add": _rule("channel", "timestamp"),
    "pins.remove": _rule("channel", "timestamp"),
    "users.info": _rule("user"),
    "views.open": _rule("trigger_id", "view"),
    "views.push": _rule("trigger_id", "view"),
    "views.update": _rule("view", any_of=(AnyOf(("view_id", "external_id")),)),
}

# Methods Slack has switched off (files.upload: sunset November 2025).
RETIRED_METHODS = frozenset({"files.upload"})


POSTING = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
"""Calls a channel refuses when the bot may not post there."""


@functools.cache
def method_rules(spec_path: Path = SPEC_PATH) -> Mapping[str, Rule]:
    """Every known method's rule: the spec's required params, plus both overlays."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    rules = {path.lstrip("/"): _spec_rule(ops) for path, ops in spec["paths"].items()}
    rules |= OVERLAY_METHODS
    for method, extra in OVERLAY_RULES.items():
        rules[method] = rules[method].tightened(extra)
    return MappingProxyType(rules)


def _spec_rule(operations: dict[str, Json]) -> Rule:
    params = [p for op in operations.values() for p in op.get("parameters", [])]
    required = tuple(
        p["name"]
        for p in params
        if p.get("required") and p["in"] in ("formData", "query") and p["name"] != "token"
    )
    return Rule(required, needs_token=any(p["name"] == "token" for p in params))


# ---------------------------------------------------------------------------------------------
# Parsing and checking one call


class SlackError(Exception):
    """An `ok: false` answer about the workspace's state (the call itself was well formed)."""

    invalid = False

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> Json:
        return {"ok": False, "error": self.error, **self.extra}


class InvalidCall(SlackError):
    """An `ok: false` answer to a call real Slack would reject as malformed: a bot bug."""

    invalid = True


def _invalid(error: str, message: str) -> InvalidCall:
    return InvalidCall(error, response_metadata={"messages": [f"[ERROR] {message}"]})


@dataclass(frozen=True)
class Payloads:
    """The JSON-valued params of a call, parsed."""

    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    view: Json | None = None


def parse_params(query: str, body: bytes, content_type: str) -> Json:
    """Query string and body params merged, as Slack accepts them in either place."""
    params: Json = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    if content_type == "application/json":
        return params | _json_object(body)
    if content_type == "application/x-www-form-urlencoded":
        return params | dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    raise _invalid("invalid_form_data", f"stub does not accept content type {content_type}")


def _json_object(body: bytes) -> Json:
    try:
        value = json.loads(body)
    except ValueError:
        raise _invalid("invalid_json", "body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _invalid("invalid_json", "body is not a JSON object")
    return value


def check_arguments(rule: Rule, params: Json) -> None:
    """Raise InvalidCall for the first required param (or group of params) that is missing."""
    for name in rule.required:
        if _blank(params.get(name)):
            raise _invalid("invalid_arguments", f"missing required field: {name}")
    for group in rule.any_of:
        if all(_blank(params.get(name)) for name in group.names):
            if group.error != "invalid_arguments":
                raise InvalidCall(group.error)
            raise _invalid(group.error, f"missing one of: {', '.join(group.names)}")


def _blank(value: Any) -> bool:
    return value is None or value == ""


def parse_payloads(params: Json) -> Payloads:
    """Parse `blocks`, `attachments` and `view`, which arrive as JSON strings or as JSON."""
    return Payloads(
        blocks=_json_list(params.get("blocks"), "blocks", "invalid_blocks"),
        attachments=_json_list(params.get("attachments"), "attachments", "invalid_attachments"),
        view=_json_view(params.get("view")),
    )


def _json_list(raw: Any, name: str, error: str) -> list[Any] | None:
    value = _decoded(raw, name, error)
    if value is None or isinstance(value, list):
        return value
    raise _invalid(error, f"{name} must be a JSON array")


def _json_view(raw: Any) -> Json | None:
    # Slack answers a malformed view with invalid_arguments, not invalid_blocks.
    value = _decoded(raw, "view", "invalid_arguments")
    if value is None or isinstance(value, dict):
        return value
    raise _invalid("invalid_arguments", "view must be a JSON object")


def _decoded(raw: Any, name: str, error: str) -> Any:
    if not isinstance(raw, str):
        return raw
    if raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise _invalid(error, f"{name} is not valid JSON") from None


# ---------------------------------------------------------------------------------------------
# Workspace state


@dataclass
class User:
    id: str
    name: str
    tz: str = "America/New_York"
    real_name: str = ""
    is_bot: bool = False

    def to_json(self, team_id: str) -> Json:
        local = datetime.now(ZoneInfo(self.tz))
        offset = local.utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name or self.name,
            "tz": self.tz,
            "tz_label": local.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": self.is_bot,
            "deleted": False,
            "profile": {"real_name": self.real_name or self.name, "display_name": self.name},
        }


@dataclass
class Channel:
    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_im: bool = False
    topic: str = ""
    members: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    messages: list[Json] = field(default_factory=list)

    def to_json(self, viewer: str) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not (self.is_im or self.is_private),
            "is_private": self.is_private,
            "is_im": self.is_im,
            "is_archived": False,
            "created": self.created,
            "creator": self.creator,
            "is_member": viewer in self.members,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": self.creator, "last_set": self.created},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def message(self, ts: str) -> Json:
        for message in self.messages:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str = ""
    channels: list[str] = field(default_factory=list)
    completed: bool = False

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.content or b""),
            "channels": list(self.channels),
        }


@dataclass(frozen=True)
class Identity:
    """Who the bot is in the stub's workspace."""

    token: str = "xoxb-test-token"
    team_id: str = "T0000STUB"
    bot_user_id: str = "U0000BOT"
    bot_id: str = "B0000BOT"


@dataclass(frozen=True)
class ApiRequest:
    method: str
    params: Json
    payloads: Payloads
    server_url: str


class Workspace:
    """Channels, messages, users, views and files, changed by Web API calls (not thread safe)."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, Json] = {}
        self.channels: dict[str, Channel] = {}
        self.views: dict[str, Json] = {}
        self.files: dict[str, UploadedFile] = {}
        self._ids = itertools.count(1)
        self._ts = itertools.count(FIRST_TS, 100)
        self.add_user(User(identity.bot_user_id, "incident-bot", is_bot=True))

    def new_id(self, prefix: str) -> str:
        """A fresh id, never one a channel, user, view or file already has."""
        taken = (self.users, self.channels, self.views, self.files)
        while True:
            candidate = f"{prefix}{next(self._ids):08d}"
            if not any(candidate in ids for ids in taken):
                return candidate

    def next_ts(self) -> str:
        micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def add_message(self, channel: Channel, ts: str, text: str) -> None:
        """A message from before (a kept sandbox database); new ones get later timestamps."""
        seconds, _, fraction = ts.partition(".")
        micros = int(seconds) * 1_000_000 + int(fraction.ljust(6, "0")[:6])
        channel.messages.append({"type": "message", "ts": ts, "text": text, **_bot_author(self)})
        channel.messages.sort(key=lambda message: float(message["ts"]))
        upcoming = next(self._ts)
        self._ts = itertools.count(max(upcoming, micros + 100), 100)

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel

    def user(self, user_id: Any) -> User:
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def find(self, ref: str) -> Channel | None:
        """A channel by id or by name (with or without '#')."""
        if ref in self.channels:
            return self.channels[ref]
        named = (c for c in self.channels.values() if not c.is_im and c.name == ref.lstrip("#"))
        return next(named, None)

    def channel(self, ref: Any) -> Channel:
        """A channel by id or name, or a user id's DM with the bot, as chat.postMessage allows."""
        channel = self.find(str(ref))
        if channel is not None:
            return channel
        if ref in self.users:
            return self._dm_with(str(ref))
        raise SlackError("channel_not_found")

    def _dm_with(self, user_id: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and user_id in channel.members:
                return channel
        members = [user_id, self.identity.bot_user_id]
        dm = Channel(self.new_id("D"), user_id, user_id, _now(), is_im=True, members=members)
        self.add_channel(dm)
        return dm

    def dispatch(self, request: ApiRequest) -> Json:
        handler = HANDLERS.get(request.method, _acknowledge)
        return {"ok": True, **handler(self, request)}


def _now() -> int:
    return int(time.time())


# ---------------------------------------------------------------------------------------------
# Method handlers: each gets the workspace and the call, returns the reply's fields besides ok

Handler = Callable[[Workspace, ApiRequest], Json]


def _acknowledge(ws: Workspace, req: ApiRequest) -> Json:
    return {}


def auth_test(ws: Workspace, req: ApiRequest) -> Json:
    ident = ws.identity
    return {
        "url": "https://stub.slack.com/",
        "team": "Stub Workspace",
        "user": ws.users[ident.bot_user_id].name,
        "team_id": ident.team_id,
        "user_id": ident.bot_user_id,
        "bot_id": ident.bot_id,
        "is_enterprise_install": False,
    }


def conversations_create(ws: Workspace, req: ApiRequest) -> Json:
    name = str(req.params["name"])
    _check_channel_name(name)
    if any(c.name == name and not c.is_im for c in ws.channels.values()):
        raise SlackError("name_taken")
    creator = ws.identity.bot_user_id
    private = _truthy(req.params.get("is_private"))
    channel = Channel(ws.new_id("C"), name, creator, _now(), private, members=[creator])
    ws.add_channel(channel)
    return {"channel": channel.to_json(creator)}


def _check_channel_name(name: str) -> None:
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not set(name) <= CHANNEL_NAME_CHARS:
        raise SlackError("invalid_name_specials")


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def conversations_list(ws: Workspace, req: ApiRequest) -> Json:
    """Public channels (and private ones the bot is in), one page: the stand-in never pages."""
    viewer = ws.identity.bot_user_id
    channels = [
        c.to_json(viewer)
        for c in ws.channels.values()
        if not c.is_im and (not c.is_private or viewer in c.members)
    ]
    return {"channels": channels, "response_metadata": {"next_cursor": ""}}


def conversations_info(ws: Workspace, req: ApiRequest) -> Json:
    return {"channel": ws.channel(req.params["channel"]).to_json(ws.identity.bot_user_id)}


def conversations_set_topic(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    channel.topic = str(req.params["topic"])
    return {"channel": channel.to_json(ws.identity.bot_user_id)}


def conversations_invite(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    invitees = [u.strip() for u in str(req.params["users"]).split(",") if u.strip()]
    for user_id in invitees:
        _check_invitee(ws, channel, user_id)
    channel.members.extend(invitees)
    return {"channel": channel.to_json(ws.identity.bot_user_id)}


def _check_invitee(ws: Workspace, channel: Channel, user_id: str) -> None:
    ws.user(user_id)
    if user_id == ws.identity.bot_user_id:
        raise SlackError("cant_invite_self")
    if user_id in channel.members:
        raise SlackError("already_in_channel")


def conversations_join(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    bot = ws.identity.bot_user_id
    if bot in channel.members:
        warning = "already_in_channel"
        reply = {"warning": warning, "response_metadata": {"warnings": [warning]}}
        return {"channel": channel.to_json(bot), **reply}
    channel.members.append(bot)
    return {"channel": channel.to_json(bot)}


def conversations_members(ws: Workspace, req: ApiRequest) -> Json:
    members = list(ws.channel(req.params["channel"]).members)
    return {"members": members, "response_metadata": {"next_cursor": ""}}


def chat_post_message(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    message = {"type": "message", "ts": ws.next_ts(), "text": "", **_bot_author(ws)}
    message.update(_content(req))
    if req.params.get("thread_ts"):
        message["thread_ts"] = str(req.params["thread_ts"])
    channel.messages.append(message)
    return {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}


def _bot_author(ws: Workspace) -> Json:
    ident = ws.identity
    return {"user": ident.bot_user_id, "bot_id": ident.bot_id, "team": ident.team_id}


def _content(req: ApiRequest) -> Json:
    """The message fields a call sets; ones it leaves out stay as they were (chat.update)."""
    content: Json = {}
    if "text" in req.params:
        content["text"] = str(req.params["text"])
    if req.payloads.blocks is not None:
        content["blocks"] = req.payloads.blocks
    if req.payloads.attachments is not None:
        content["attachments"] = req.payloads.attachments
    if req.params.get("metadata"):
        metadata = req.params["metadata"]
        content["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
    return content


def conversations_history(ws: Workspace, req: ApiRequest) -> Json:
    """Newest first, parent messages only (a thread's replies come from
    conversations.replies); message metadata only with include_all_metadata, as Slack does."""
    channel = ws.channel(req.params["channel"])
    parents = [m for m in channel.messages if m.get("thread_ts") in (None, m["ts"])]
    kept = _between(parents, req)
    limit = int(req.params.get("limit") or 100)
    messages = [_shown_message(m, req) for m in reversed(kept)][:limit]
    return {"messages": messages, "has_more": len(kept) > limit}


def conversations_replies(ws: Workspace, req: ApiRequest) -> Json:
    """The thread of the message ``ts`` (its parent or one of its replies), oldest first:
    the parent, then the replies, within ``oldest``/``latest``, as Slack does; a message with no
    replies is a thread of one."""
    channel = ws.channel(req.params["channel"])
    try:
        asked = channel.message(str(req.params["ts"]))
    except SlackError:
        raise SlackError("thread_not_found") from None
    root = str(asked.get("thread_ts") or asked["ts"])
    thread = [m for m in channel.messages if m["ts"] == root or m.get("thread_ts") == root]
    kept = _between(thread, req)
    limit = int(req.params.get("limit") or 1000)
    messages = [_shown_message(m, req) for m in kept][:limit]
    return {"messages": messages, "has_more": len(kept) > limit}


def _between(messages: list[Json], req: ApiRequest) -> list[Json]:
    """``messages`` within the request's ``oldest`` and ``latest`` (ends kept if inclusive)."""
    latest = float(req.params.get("latest") or "inf")
    oldest = float(req.params.get("oldest") or 0)
    inclusive = _truthy(req.params.get("inclusive"))
    return [
        m
        for m in messages
        if oldest < float(m["ts"]) < latest or (inclusive and float(m["ts"]) in (oldest, latest))
    ]


def _shown_message(message: Json, req: ApiRequest) -> Json:
    """A copy of ``message``, its metadata only with include_all_metadata."""
    shown = copy.deepcopy(message)
    if not _truthy(req.params.get("include_all_metadata")):
        shown.pop("metadata", None)
    return shown


def chat_update(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    message = channel.message(str(req.params["ts"]))
    message.update(_content(req))
    message["edited"] = {"user": ws.identity.bot_user_id, "ts": ws.next_ts()}
    reply = {"channel": channel.id, "ts": message["ts"], "text": message.get("text", "")}
    return {**reply, "message": copy.deepcopy(message)}


def chat_post_ephemeral(ws: Workspace, req: ApiRequest) -> Json:
    ws.channel(req.params["channel"])
    ws.user(req.params["user"])
    return {"message_ts": ws.next_ts()}


def chat_get_permalink(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    ts = channel.message(str(req.params["message_ts"]))["ts"]
    link = f"https://stub.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    return {"channel": channel.id, "permalink": link}


def pins_add(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    ts = channel.message(str(req.params["timestamp"]))["ts"]
    if ts in channel.pins:
        raise SlackError("already_pinned")
    channel.pins.append(ts)
    return {}


def pins_remove(ws: Workspace, req: ApiRequest) -> Json:
    channel = ws.channel(req.params["channel"])
    ts = channel.message(str(req.params["timestamp"]))["ts"]
    if ts not in channel.pins:
        raise SlackError("no_pin")
    channel.pins.remove(ts)
    return {}


def reactions_add(ws: Workspace, req: ApiRequest) -> Json:
    message = ws.channel(req.params["channel"]).message(str(req.params["timestamp"]))
    name, bot = str(req.params["name"]), ws.identity.bot_user_id
    reactions: list[Json] = message.setdefault("reactions", [])
    reaction = next((r for r in reactions if r["name"] == name), None)
    if reaction is None:
        reactions.append({"name": name, "users": [bot], "count": 1})
    elif bot in reaction["users"]:
        raise SlackError("already_reacted")
    else:
        reaction["users"].append(bot)
        reaction["count"] += 1
    return {}


def views_open(ws: Workspace, req: ApiRequest) -> Json:
    view_id = ws.new_id("V")
    return {"view": _store_view(ws, view_id, cast(Json, req.payloads.view), root=view_id)}


def _store_view(ws: Workspace, view_id: str, view: Json, root: str) -> Json:
    stored = {
        **view,
        "id": view_id,
        "team_id": ws.identity.team_id,
        "bot_id": ws.identity.bot_id,
        "root_view_id": root,
        "hash": ws.new_id("h"),
        "state": {"values": {}},
    }
    ws.views[view_id] = stored
    return copy.deepcopy(stored)


def views_push(ws: Workspace, req: ApiRequest) -> Json:
    return views_open(ws, req)


def views_update(ws: Workspace, req: ApiRequest) -> Json:
    current = _find_view(ws, req.params)
    if req.params.get("hash") and req.params["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    view = cast(Json, req.payloads.view)
    return {"view": _store_view(ws, current["id"], view, root=current["root_view_id"])}


def _find_view(ws: Workspace, params: Json) -> Json:
    for view in ws.views.values():
        if view["id"] == params.get("view_id") or (
            params.get("external_id") and view.get("external_id") == params["external_id"]
        ):
            return view
    raise SlackError("not_found")


def users_info(ws: Workspace, req: ApiRequest) -> Json:
    return {"user": ws.user(req.params["user"]).to_json(ws.identity.team_id)}


def usergroups_list(ws: Workspace, req: ApiRequest) -> Json:
    fields = ("id", "handle", "name")
    return {"usergroups": [{k: g[k] for k in fields} for g in ws.usergroups.values()]}


def usergroups_users_list(ws: Workspace, req: ApiRequest) -> Json:
    group = ws.usergroups.get(str(req.params["usergroup"]))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


def files_get_upload_url(ws: Workspace, req: ApiRequest) -> Json:
    length = str(req.params["length"])
    if not length.isdigit():
        raise _invalid("invalid_arguments", "length must be an integer")
    file_id = ws.new_id("F")
    ws.files[file_id] = UploadedFile(file_id, str(req.params["filename"]), int(length))
    return {"upload_url": f"{req.server_url}{UPLOAD_PREFIX}{file_id}", "file_id": file_id}


def files_complete_upload(ws: Workspace, req: ApiRequest) -> Json:
    entries = _json_list(req.params["files"], "files", "invalid_arguments") or []
    channel_id = req.params.get("channel_id") or req.params.get("channels")
    channels = [ws.channel(c).id for c in str(channel_id or "").split(",") if c]
    done = [_complete_file(ws, entry, channels) for entry in entries]
    return {"files": [f.to_json() for f in done]}


def _complete_file(ws: Workspace, entry: Any, channels: list[str]) -> UploadedFile:
    file = ws.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
    if file is None or file.content is None:
        raise SlackError("file_not_found")
    file.title = str(entry.get("title") or file.filename)
    file.channels, file.completed = list(channels), True
    return file


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "apps.connections.open": lambda ws, req: {"url": "ws://127.0.0.1:9/link"},
    "chat.getPermalink": chat_get_permalink,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "conversations.create": conversations_create,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.invite": conversations_invite,
    "conversations.join": conversations_join,
    "conversations.members": conversations_members,
    "conversations.setTopic": conversations_set_topic,
    "files.completeUploadExternal": files_complete_upload,
    "files.getUploadURLExternal": files_get_upload_url,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "reactions.add": reactions_add,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "users.info": users_info,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}


# ---------------------------------------------------------------------------------------------
# Recording, faults and the HTTP server


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the stub saw and answered it."""

    method: str
    params: Json
    blocks: list[Any] | None
    view: Json | None
    status: int
    response: Json
    time: float
    valid: bool
    attachments: list[Any] | None = None

    @property
    def ok(self) -> bool:
        return self.response.get("ok") is True

    def summary(self) -> str:
        outcome = "ok" if self.ok else f"error={self.response.get('error')}"
        flag = "" if self.valid else " INVALID"
        return f"{self.method} [{self.status} {outcome}{flag}] params={self.params!r}"


@dataclass(frozen=True)
class PostedResponse:
    """A message the bot POSTed to a response_url (a reply to a command or a click)."""

    key: str
    message: Json
    replaced: tuple[str, str] | None = None
    """(channel, ts) of the channel message it replaced (``replace_original``), if any."""


@dataclass(frozen=True)
class Directory:
    """Names by id, for showing what the bot said the way Slack shows it."""

    users: Mapping[str, str]
    channels: Mapping[str, str]
    groups: Mapping[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Limit:
    """Slack's rate limit on one method as the stub models it: a token bucket holding up to
    ``burst`` calls, refilled at ``per_minute``; per channel with ``per_channel``."""

    per_minute: float
    burst: int
    per_channel: bool
    clock: Callable[[], float]
    tokens: dict[str, tuple[float, float]] = field(default_factory=dict)  # (tokens, at)

    def retry_after(self, channel: str) -> int | None:
        """None when a call now is within the limit (and is counted); else the seconds a 429's
        Retry-After asks to wait."""
        now = self.clock()
        bucket = channel if self.per_channel else ""
        held, at = self.tokens.get(bucket, (float(self.burst), now))
        held = min(float(self.burst), held + (now - at) * self.per_minute / 60)
        if held >= 1 - 1e-9:
            self.tokens[bucket] = (held - 1, now)
            return None
        self.tokens[bucket] = (held, now)
        return max(1, math.ceil((1 - held) * 60 / self.per_minute))


@dataclass(frozen=True)
class _Outcome:
    reply: Reply
    payloads: Payloads
    valid: bool


class SlackApiStub:
    """Slack's Web API on 127.0.0.1 for one test run: validates, records and answers calls.

    Point `WebClient(token=stub.token, base_url=stub.base_url)` at it.
    """

    def __init__(self, token: str = "xoxb-test-token", identity: Identity | None = None) -> None:
        self.identity = identity or Identity(token=token)
        self._cond = threading.Condition()
        self._rules = method_rules()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._init_state()

    def _init_state(self) -> None:
        self._workspace = Workspace(self.identity)
        self._calls: list[RecordedCall] = []
        self._faults: dict[str, deque[Reply]] = {}
        self._refusing: dict[str, str] = {}
        self._limits: dict[str, _Limit] = {}
        self._latency = 0.0
        self._responses: list[tuple[str, Json]] = []
        self._journal: list[RecordedCall | PostedResponse] = []
        self._response_times: dict[str, list[float]] = {}
        self._sources: dict[str, tuple[str, str]] = {}  # response_url key: message it came from

    # -- lifecycle

    def start(self) -> SlackApiStub:
        if self._server is not None:
            raise RuntimeError("stub already started")
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        cast(threading.Thread, self._thread).join()
        self._server.server_close()
        self._server, self._thread = None, None

    def __enter__(self) -> SlackApiStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def token(self) -> str:
        return self.identity.token

    @property
    def server_url(self) -> str:
        if self._server is None:
            raise RuntimeError("stub not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """The URL to pass as slack_sdk's `base_url` (with its trailing slash)."""
        return f"{self.server_url}{API_PREFIX}"

    # -- workspace setup

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "America/New_York",
        real_name: str = "",
        is_bot: bool = False,
    ) -> None:
        ZoneInfo(tz)  # fail here, not inside users.info, on a zone name typo
        with self._cond:
            self._workspace.add_user(User(user_id, name, tz, real_name, is_bot))

    def add_usergroup(self, usergroup_id: str, handle: str, users: Iterable[str]) -> None:
        group = {"id": usergroup_id, "handle": handle, "name": handle, "users": list(users)}
        with self._cond:
            self._workspace.usergroups[usergroup_id] = group

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: Iterable[str] = (),
        is_private: bool = False,
        creator: str = "USLACKBOT",
    ) -> None:
        """A channel that exists before the test, e.g. the one a slash command is typed in."""
        channel = Channel(channel_id, name, creator, _now(), is_private, members=list(members))
        with self._cond:
            self._workspace.add_channel(channel)

    def add_message(self, channel_id: str, ts: str, text: str) -> None:
        """A bot message that was posted before the stub started (kept by a caller's database)."""
        with self._cond:
            self._workspace.add_message(self._workspace.channel(channel_id), ts, text)

    # -- fault injection

    def fail_next(
        self,
        method: str,
        error: str = "missing_scope",
        times: int = 1,
        extra: Json | None = None,
    ) -> None:
        """Answer the next `times` calls to `method` with `ok: false`, `error` and `extra`."""
        self._queue_fault(method, Reply(200, {"ok": False, "error": error, **(extra or {})}), times)

    def answer_next(
        self, method: str, status: int, error: str = "fatal_error", times: int = 1
    ) -> None:
        """Answer the next `times` calls to `method` with HTTP `status` and `ok: false`."""
        self._queue_fault(method, Reply(status, {"ok": False, "error": error}), times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls to `method` with HTTP 429 and `Retry-After`."""
        body = {"ok": False, "error": "ratelimited"}
        self._queue_fault(method, Reply(429, body, {"Retry-After": str(retry_after)}), times)

    def _queue_fault(self, method: str, reply: Reply, times: int) -> None:
        if method not in self._rules:
            raise ValueError(f"unknown Slack method {method!r}")
        with self._cond:
            self._faults.setdefault(method, deque()).extend([reply] * times)

    def limit_rate(
        self,
        method: str,
        per_minute: float,
        burst: int,
        per_channel: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """From now on, answer a call to ``method`` beyond ``per_minute`` a minute after a burst
        of ``burst`` (each channel apart, with ``per_channel``) with HTTP 429 and Retry-After,
        as Slack does; ``clock`` (seconds) times the calls."""
        if method not in self._rules:
            raise ValueError(f"unknown Slack method {method!r}")
        with self._cond:
            self._limits[method] = _Limit(per_minute, burst, per_channel, clock)

    def refuse_posts_in(self, channel: str, error: str | None = "not_in_channel") -> None:
        """Answer every post to ``channel`` with ``error`` (the bot was never invited there,
        say) until called again with ``error=None``."""
        with self._cond:
            if error is None:
                self._refusing.pop(channel, None)
            else:
                self._refusing[channel] = error

    def set_latency(self, seconds: float) -> None:
        """Delay every answer (Web API and upload) by `seconds`."""
        with self._cond:
            self._latency = seconds

    # -- inspection

    @property
    def calls(self) -> list[RecordedCall]:
        with self._cond:
            return list(self._calls)

    def calls_to(
        self, method: str, predicate: Callable[[RecordedCall], bool] | None = None
    ) -> list[RecordedCall]:
        """The calls to ``method`` (matching ``predicate``), in order."""
        return [
            call
            for call in self.calls
            if call.method == method and (predicate is None or predicate(call))
        ]

    def invalid_calls(self) -> list[RecordedCall]:
        """Calls real Slack would reject as malformed (unknown method, bad auth, bad args)."""
        return [call for call in self.calls if not call.valid]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Block until `count` calls to `method` (matching `predicate`) arrived; return them.

        Every recorded call counts, failed ones included; filter with `predicate`.
        """

        def matching() -> list[RecordedCall]:
            found = [c for c in self._calls if c.method == method]
            return [c for c in found if predicate is None or predicate(c)]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                return matching()
            raise AssertionError(self._timeout_message(method, count, timeout, len(matching())))

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``condition()`` holds, asked again as each call or response arrives;
        False if ``timeout`` seconds pass first. It may read the stub (its lock is reentrant)."""
        with self._cond:
            return self._cond.wait_for(condition, timeout)

    def _timeout_message(self, method: str, count: int, timeout: float, got: int) -> str:
        seen = "\n".join(f"  {call.summary()}" for call in self._calls) or "  (none)"
        return (
            f"timed out after {timeout}s waiting for {count} call(s) to {method}; "
            f"{got} matched. Calls seen:\n{seen}"
        )

    @property
    def channels(self) -> dict[str, Channel]:
        with self._cond:
            return copy.deepcopy(self._workspace.channels)

    def channel(self, ref: str) -> Channel:
        """A copy of the channel with this id or name; KeyError if there is none."""
        with self._cond:
            channel = self._workspace.find(ref)
            if channel is None:
                known = sorted(f"{c.id} #{c.name}" for c in self._workspace.channels.values())
                raise KeyError(f"no channel {ref!r} in the stub; known: {known}")
            return copy.deepcopy(channel)

    def messages(self, channel: str) -> list[Json]:
        """Messages in a channel (by id or name), oldest first, as edited since."""
        return self.channel(channel).messages

    def journal(self, since: int = 0) -> list[RecordedCall | PostedResponse]:
        """Every Web API call and response_url message, in the order they arrived."""
        with self._cond:
            return self._journal[since:]

    def directory(self) -> Directory:
        with self._cond:
            ws = self._workspace
            return Directory(
                {u.id: u.name for u in ws.users.values()},
                {c.id: c.name for c in ws.channels.values()},
                {g["id"]: g["handle"] for g in ws.usergroups.values()},
            )

    @property
    def files(self) -> dict[str, UploadedFile]:
        with self._cond:
            return copy.deepcopy(self._workspace.files)

    def reset(self) -> None:
        """Back to the state right after construction (the server keeps running)."""
        with self._cond:
            self._init_state()

    # -- serving (called from the server's threads)

    def handle_api(
        self, method: str, query: str, body: bytes, content_type: str, authorization: str
    ) -> Reply:
        self._delay()
        with self._cond:
            params: Json = {}
            try:
                rule = self._rule(method)
                params = parse_params(query, body, content_type)
                token = _token(params, authorization, content_type)
                outcome = self._answer(method, rule, params, token)
            except SlackError as exc:
                outcome = _Outcome(Reply(200, exc.body()), Payloads(), valid=False)
            except Exception as exc:  # a stub bug: answer it loudly, never drop the connection
                crash = {"ok": False, "error": "stub_error", "detail": repr(exc)}
                outcome = _Outcome(Reply(500, crash), Payloads(), valid=False)
            self._record(method, params, outcome)
            return outcome.reply

    def _answer(self, method: str, rule: Rule, params: Json, token: str | None) -> _Outcome:
        """Check the call, then let a queued fault or the workspace answer it."""
        self._authenticate(method, rule, token)
        check_arguments(rule, params)
        payloads = parse_payloads(params)
        if method.startswith("chat.") and (
            broken := slack_limits.problem(payloads.blocks, params.get("text"))
        ):
            raise _invalid(*broken)
        fault = self._take_fault(method) or self._over_limit(method, params)
        if fault is None and method in POSTING and params.get("channel") in self._refusing:
            error = self._refusing[str(params["channel"])]
            fault = Reply(200, {"ok": False, "error": error})
        if fault is not None:
            return _Outcome(fault, payloads, valid=True)
        request = ApiRequest(method, params, payloads, self.server_url)
        try:
            return _Outcome(Reply(200, self._workspace.dispatch(request)), payloads, valid=True)
        except SlackError as exc:
            return _Outcome(Reply(200, exc.body()), payloads, valid=not exc.invalid)

    def _over_limit(self, method: str, params: Json) -> Reply | None:
        limit = self._limits.get(method)
        seconds = limit.retry_after(str(params.get("channel", ""))) if limit else None
        if seconds is None:
            return None
        return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)})

    def _rule(self, method: str) -> Rule:
        if method in RETIRED_METHODS:
            raise InvalidCall("method_deprecated")
        if method not in self._rules:
            raise InvalidCall("unknown_method")
        return self._rules[method]

    def _authenticate(self, method: str, rule: Rule, token: Any) -> None:
        if not rule.needs_token:
            return
        if _blank(token):
            raise InvalidCall("not_authed")
        expected = APP_TOKEN if method in APP_TOKEN_METHODS else self.identity.token
        if token != expected:
            raise InvalidCall("invalid_auth")

    def _take_fault(self, method: str) -> Reply | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    def _record(self, method: str, params: Json, outcome: _Outcome) -> None:
        reply, payloads = outcome.reply, outcome.payloads
        call = RecordedCall(
            method,
            copy.deepcopy(params),
            payloads.blocks,
            payloads.view,
            reply.status,
            copy.deepcopy(reply.body),
            time.time(),
            outcome.valid,
            payloads.attachments,
        )
        self._calls.append(call)
        self._journal.append(call)
        self._cond.notify_all()

    def handle_upload(self, file_id: str, body: bytes) -> tuple[int, str]:
        """Store bytes POSTed to an upload URL from files.getUploadURLExternal."""
        self._delay()
        with self._cond:
            file = self._workspace.files.get(file_id)
            if file is None:
                return 404, "Not Found"
            file.content = body
            return 200, f"OK - {len(body)}"

    def response_url(self, key: str, source: tuple[str, str] | None = None) -> str:
        """A response_url to put in a signed request; what the bot POSTs there is kept.

        ``source``: (channel, ts) of the channel message whose button was pressed, which a
        message with ``replace_original`` replaces for everyone, as Slack does."""
        if source is not None:
            with self._cond:
                self._sources[key] = source
        return f"{self.server_url}{RESPONSE_PREFIX}{key}"

    def handle_response(self, key: str, body: bytes) -> tuple[int, str]:
        try:
            message = json.loads(body or b"{}")
        except ValueError:
            return 400, "invalid_payload"
        if slack_limits.problem(message.get("blocks"), message.get("text")):
            return 400, "invalid_blocks"
        with self._cond:
            replaced = self._sources.get(key) if message.get("replace_original") else None
            if replaced is not None:
                channel, ts = replaced
                original = self._workspace.channel(channel).message(ts)
                original.update({k: message[k] for k in ("text", "blocks") if k in message})
                original["edited"] = {
                    "user": self._workspace.identity.bot_user_id,
                    "ts": self._workspace.next_ts(),
                }
            self._responses.append((key, message))
            self._journal.append(PostedResponse(key, message, replaced))
            self._response_times.setdefault(key, []).append(time.time())
            self._cond.notify_all()
        return 200, "ok"

    def responses(self, key: str | None = None) -> list[Json]:
        """Messages POSTed to response URLs (to ``key``'s only, when given), oldest first."""
        with self._cond:
            return [m for k, m in self._responses if key is None or k == key]

    def all_response_times(self) -> Json:
        with self._cond:
            return {key: list(times) for key, times in self._response_times.items()}

    def response_times(self, key: str) -> list[float]:
        """When each message reached ``key``'s response URL (``time.time()``)."""
        with self._cond:
            return list(self._response_times.get(key, []))

    def wait_for_response(self, key: str, count: int = 1, timeout: float = 5.0) -> list[Json]:
        """Block until ``count`` messages arrived at ``key``'s response URL."""
        with self._cond:
            arrived = self._cond.wait_for(
                lambda: len([k for k, _ in self._responses if k == key]) >= count, timeout
            )
            seen = [m for k, m in self._responses if k == key]
        if not arrived:
            raise AssertionError(f"{len(seen)} of {count} responses at {key!r}: {seen!r}")
        return seen

    def _delay(self) -> None:
        with self._cond:
            latency = self._latency
        if latency > 0:
            time.sleep(latency)


def _token(params: Json, authorization: str, content_type: str) -> str | None:
    """The call's token (taken out of params): the Bearer header, else a form `token` field."""
    param = params.pop("token", None)
    scheme, _, bearer = authorization.partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        return bearer.strip()
    if content_type == "application/json":
        return None  # Slack reads no token from a JSON body, only from the header
    return None if param is None else str(param)


class _Server(ThreadingHTTPServer):
    """Serves until ``stop()``, which wakes its select() at once (serve_forever() would poll)."""

    daemon_threads = True
    request_queue_size = 128  # a bot's burst of calls must not overflow the listen backlog
    timeout = 0  # handle_request() is called once select() has seen a connection waiting
    stub: SlackApiStub

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._woken, self._wake = socket.socketpair()
        self._stopping = threading.Event()

    def serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._woken, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if any(key.fileobj is self for key, _ in selector.select()):
                    self.handle_request()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._woken.close()
        self._wake.close()


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /upload/v1/<file id> to the stub; nothing else."""

    server: _Server

    def do_POST(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(API_PREFIX):
            self._send_json(self._api_reply(url.path.removeprefix(API_PREFIX), url.query))
        elif url.path == "/_stub/response_times":
            self._send_json(Reply(200, self.server.stub.all_response_times()))
        elif url.path.startswith(RESPONSE_PREFIX) and self.command == "POST":
            key = url.path.removeprefix(RESPONSE_PREFIX)
            self._send_text(*self.server.stub.handle_response(key, self._body()))
        elif url.path.startswith(UPLOAD_PREFIX) and self.command == "POST":
            file_id = url.path.removeprefix(UPLOAD_PREFIX)
            self._send_text(*self.server.stub.handle_upload(file_id, self._body()))
        else:
            self._send_text(404, "Not Found")

    def _api_reply(self, method: str, query: str) -> Reply:
        return self.server.stub.handle_api(
            method,
            query,
            self._body(),
            self.headers.get_content_type(),
            self.headers.get("Authorization", ""),
        )

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, reply: Reply) -> None:
        data = json.dumps(reply.body).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        self._send(reply.status, data, headers)

    def _send_text(self, status: int, text: str) -> None:
        self._send(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})

    def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the access log out of pytest's output."""


def main() -> None:
    """Run the stub as a process of its own (benchmarks): prints its base URL, serves until killed.

    python -m bot.sandbox.slack_api --user U0ALICE --channel C0ANNOUNCE
    """
    import argparse

    parser = argparse.ArgumentParser(description="a Slack Web API stub on 127.0.0.1")
    parser.add_argument("--user", action="append", default=[])
    parser.add_argument("--channel", action="append", default=[])
    args = parser.parse_args()
    stub = SlackApiStub().start()
    for user in args.user:
        stub.add_user(user, user.lower())
    for channel in args.channel:
        stub.add_channel(channel, channel.lower(), members=[stub.identity.bot_user_id])
    print(stub.base_url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
