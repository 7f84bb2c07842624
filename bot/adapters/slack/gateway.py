"""A thin wrapper over slack_sdk's WebClient: the Web API calls the bot makes, and their errors."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack import mrkdwn
from bot.adapters.slack.budget import Budget
from bot.adapters.slack.retries import (
    ConnectionRetry,
    Count,
    RateLimitRetry,
    ServerErrorRetry,
    Sleep,
)
from bot.services import leases
from bot.services.chat import ChatFailure, ChatMessage, Message, SharedFile, Tag

log = logging.getLogger(__name__)

# What the missing scope means, to tell people how to fix it (the manifest asks for all of them).
SCOPE_HINT = "add the scope under OAuth & Permissions in the app's settings, then reinstall the app"


# Slack's errors that the same call made again will get again: the target is gone or closed to
# the bot, or the bot itself may not post. A notice meeting one goes down the fallback chain.
PERMANENT = frozenset(
    {
        "access_denied",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "ekm_access_denied",
        "invalid_auth",
        "is_archived",
        "missing_scope",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "restricted_action_non_threadable_channel",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "team_access_not_granted",
        "token_revoked",
        "user_disabled",
        "user_not_found",
    }
)


class SlackFailure(ChatFailure):
    """A Web API call that failed, with what a person can do about it.

    A plain exception, not a frozen dataclass: raising assigns ``__traceback__`` (and
    ``contextlib`` does so on the way out of a ``with``), which a frozen instance refuses.
    ``method`` is the Web API method (``"chat.postMessage"``), ``error`` Slack's code
    (``"not_in_channel"``), ``needed`` the missing scope when Slack names it.
    """

    def __init__(self, method: str, error: str, needed: str | None = None) -> None:
        super().__init__(method, error, needed)
        self.method = method
        self.error = error
        self.needed = needed

    @property
    def permanent(self) -> bool:
        return self.error in PERMANENT

    @property
    def code(self) -> str:
        return self.error

    def __str__(self) -> str:
        if self.error == "missing_scope" and self.needed:
            return f"{self.method} failed: the app lacks the `{self.needed}` scope ({SCOPE_HINT})"
        return f"{self.method} failed: {self.error}"


def _uncounted(method: str, result: str) -> None:
    return None


def client(
    token: str,
    base_url: str,
    *,
    timeout: int = 10,
    count: Count = _uncounted,
    sleep: Sleep = time.sleep,
) -> WebClient:
    """A WebClient that honours 429 Retry-After and retries dropped connections and Slack's
    server errors with backoff, waiting only while the timer firing it calls for (if any)
    still holds its timer (``retries``)."""
    web = WebClient(token=token, base_url=base_url, timeout=timeout)
    web.retry_handlers.extend(
        [
            RateLimitRetry(count, sleep=sleep),
            ConnectionRetry(sleep=sleep),
            ServerErrorRetry(count, sleep=sleep),
        ]
    )
    return web


GROUP_MEMBERS_TTL = 60.0  # seconds
JUST_MADE_SECONDS = 600.0  # a channel of ours younger than this, by a name we asked for, is ours


class SlackGateway:
    """The Web API calls, each paced by ``budget`` (None: made at once) and counted."""

    def __init__(
        self,
        web: WebClient,
        count: Count = _uncounted,
        budget: Budget | None = None,
    ) -> None:
        self.web = web
        self.count = count
        self.budget = budget
        self._groups: dict[str, tuple[float, list[str]]] = {}
        self._groups_lock = threading.Lock()
        self._bot_user_id: str | None = None  # asked of auth.test when first needed

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        """Make the call once its turn in the budget comes; SlackFailure ``ratelimited`` when
        it would not come in time, as when Slack's 429s outlast the retries."""
        call = getattr(self.web, method.replace(".", "_"))  # chat.postMessage: chat_postMessage
        channel = str(params["channel"]) if params.get("channel") else None
        if self.budget is not None and not self.budget.wait_turn(method, channel):
            self.count(method, "over_budget")
            raise SlackFailure(method, "ratelimited")
        try:
            response = call(**params)
        except SlackApiError as error:
            data = error.response.data if isinstance(error.response.data, dict) else {}
            code = str(data.get("error", "error"))
            self.count(method, "ratelimited" if code == "ratelimited" else "error")
            log.warning("Slack refused a call", extra={"slack_method": method, "error": code})
            raise SlackFailure(method, code, data.get("needed")) from None
        except (SlackClientError, OSError) as error:  # OSError: urllib's URLError, timeouts
            self.count(method, "error")
            log.warning(
                "Slack unreachable", extra={"slack_method": method, "error": type(error).__name__}
            )
            raise SlackFailure(method, f"could not reach Slack ({type(error).__name__})") from None
        self.count(method, "ok")
        log.debug("Slack call", extra={"slack_method": method})
        return dict(response.data) if isinstance(response.data, dict) else {}

    def create_channel(self, names: Iterable[str]) -> tuple[str, str]:
        """Create the first free channel name; ``names`` gives the next one to try when taken."""
        for name in names:
            try:
                channel = self._call("conversations.create", name=name)["channel"]
            except SlackFailure as failure:
                if failure.error != "name_taken":
                    raise
                if (made := self._just_made(name)) is not None:
                    return made, name  # a retried call that had created it after all
                continue
            return str(channel["id"]), str(channel["name"])
        raise SlackFailure("conversations.create", "name_taken")

    def _just_made(self, name: str) -> str | None:
        """The channel ``name`` if this bot created it in the last JUST_MADE_SECONDS: a call
        that failed on Slack's side (and was retried) may have created it."""
        found = self._channel_named(name)
        if found is None or found.get("creator") != self._bot_user():
            return None
        age = time.time() - float(found.get("created") or 0)
        return str(found["id"]) if age < JUST_MADE_SECONDS else None

    def _bot_user(self) -> str:
        if self._bot_user_id is None:
            self._bot_user_id = str(self._call("auth.test").get("user_id") or "")
        return self._bot_user_id

    def find_channel(self, name: str) -> str | None:
        found = self._channel_named(name)
        return str(found["id"]) if found is not None else None

    def _channel_named(self, name: str) -> dict[str, Any] | None:
        """The channel named ``name``, if there is one (every page looked at)."""
        cursor = ""
        while True:
            page = self._call(
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor or None,
            )
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return dict(channel)
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None

    def invite(self, channel: str, users: Iterable[str]) -> None:
        wanted = sorted(set(users))
        if not wanted:
            return
        try:
            self._call("conversations.invite", channel=channel, users=",".join(wanted))
        except SlackFailure as failure:
            if failure.error != "already_in_channel":
                raise

    def group_members(self, group: str) -> list[str]:
        """A user group's members, asked of Slack at most once a minute per group.

        A burst of declarations for one service would otherwise ask the same question each time.
        """
        now = time.monotonic()
        with self._groups_lock:
            cached = self._groups.get(group)
        if cached is not None and now - cached[0] < GROUP_MEMBERS_TTL:
            return list(cached[1])
        members = [str(u) for u in self._call("usergroups.users.list", usergroup=group)["users"]]
        with self._groups_lock:
            self._groups[group] = (now, members)
        return list(members)

    def display_name(self, user_id: str) -> str:
        """How people know ``user_id`` (``@alice``); the id itself if Slack can't say."""
        try:
            user = self._call("users.info", user=user_id)["user"]
        except SlackFailure:
            return user_id
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("name") or profile.get("real_name")
        return f"@{name}" if name else user_id

    def name(self, chat_id: str) -> str:
        """How people know a person, a channel or a user group by its id (``@alice``,
        ``#general``, ``@payments``); ``mrkdwn.by_id`` if Slack can't say."""
        if mrkdwn.is_user_id(chat_id):
            named = self.display_name(chat_id)
            return named if named != chat_id else mrkdwn.by_id(chat_id)
        try:
            if mrkdwn.is_channel_id(chat_id):
                channel = self._call("conversations.info", channel=chat_id)["channel"]
                return f"#{channel['name']}" if channel.get("name") else mrkdwn.by_id(chat_id)
            if mrkdwn.is_group_id(chat_id):
                groups = self._call("usergroups.list", include_disabled=True)["usergroups"]
                handle = next((g.get("handle") for g in groups if g.get("id") == chat_id), None)
                return f"@{handle}" if handle else mrkdwn.by_id(chat_id)
        except SlackFailure:
            pass
        return mrkdwn.by_id(chat_id)

    def set_topic(self, channel: str, topic: str) -> None:
        topic = mrkdwn.shortened(topic, mrkdwn.TOPIC_LIMIT)  # the wording's is within it
        self._call("conversations.setTopic", channel=channel, topic=topic)

    def post(
        self,
        channel: str,
        blocks: Sequence[dict[str, Any]],
        text: str,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
    ) -> str:
        """Post a message; ``metadata`` (Slack message metadata) lets it be found again;
        ``thread_ts`` posts it in that message's thread (``reply_broadcast``: also in the
        channel).

        Within a timer's firing, only while it still holds its timer (``leases.before_send``).
        """
        if not leases.before_send():
            raise SlackFailure("chat.postMessage", "not sent: the timer was taken over")
        extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
        if thread_ts:
            extra |= {"thread_ts": thread_ts, "reply_broadcast": reply_broadcast}
        return str(
            self._call(
                "chat.postMessage",
                channel=channel,
                blocks=blocks,
                text=mrkdwn.fallback(text),
                **extra,
            )["ts"]
        )

    def find_by_metadata(
        self, channel: str, event_type: str, payload: dict[str, Any], recent: int = 100
    ) -> str | None:
        """The ts of a recent message carrying this metadata, if there is one."""
        history = self._call(
            "conversations.history", channel=channel, limit=recent, include_all_metadata=True
        )
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == event_type
                and metadata.get("event_payload") == payload
            ):
                return str(message["ts"])
        return None

    def update(self, channel: str, ts: str, blocks: Sequence[dict[str, Any]], text: str) -> None:
        self._call("chat.update", channel=channel, ts=ts, blocks=blocks, text=mrkdwn.fallback(text))

    def pin(self, channel: str, ts: str) -> None:
        try:
            self._call("pins.add", channel=channel, timestamp=ts)
        except SlackFailure as failure:
            if failure.error != "already_pinned":
                raise

    def ephemeral(
        self, channel: str, user: str, blocks: Sequence[dict[str, Any]], text: str
    ) -> None:
        self._call(
            "chat.postEphemeral",
            channel=channel,
            user=user,
            blocks=blocks,
            text=mrkdwn.fallback(text),
        )

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message ``ts`` in ``channel``, a parent or a thread's reply, or None. Slack's
        conversations.history holds parents only; conversations.replies, asked for the
        message's own ts, finds either (with the thread's parent, which is skipped)."""
        try:
            found = self._call(
                "conversations.replies",
                channel=channel,
                ts=ts,
                oldest=ts,
                latest=ts,
                inclusive=True,
                limit=2,
            ).get("messages")
        except SlackFailure as failure:
            if failure.error in ("thread_not_found", "message_not_found"):
                return None
            raise
        return next((dict(m) for m in found or [] if m.get("ts") == ts), None)

    def permalink(self, channel: str, ts: str) -> str | None:
        link = self._call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink")
        return str(link) if link else None

    def upload(self, channel: str, content: str | bytes, filename: str, title: str) -> None:
        self._call(
            "files.upload_v2", channel=channel, content=content, filename=filename, title=title
        )

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        self._call("views.open", trigger_id=trigger_id, view=view)


class SlackChat:
    """The chat port on Slack: unpacks each rendered Message into blocks and fallback text."""

    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway
        self.create_channel = gateway.create_channel
        self.find_channel = gateway.find_channel
        self.invite = gateway.invite
        self.group_members = gateway.group_members
        self.display_name = gateway.display_name
        self.name = gateway.name
        self.set_topic = gateway.set_topic
        self.pin = gateway.pin
        self.upload = gateway.upload
        self.permalink = gateway.permalink

    def post(
        self,
        channel: str,
        message: Message,
        tag: Tag | None = None,
        thread: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """A tag is Slack message metadata: its kind the event type, its fields the payload."""
        metadata = {"event_type": tag.kind, "event_payload": dict(tag.fields)} if tag else None
        return self.gateway.post(
            channel,
            message.content,
            message.text,
            metadata,
            thread,
            broadcast and thread is not None,
        )

    def update(self, channel: str, ts: str, message: Message) -> None:
        self.gateway.update(channel, ts, message.content, message.text)

    def ephemeral(self, channel: str, user: str, message: Message) -> None:
        self.gateway.ephemeral(channel, user, message.content, message.text)

    def find_tagged(self, channel: str, tag: Tag) -> str | None:
        return self.gateway.find_by_metadata(channel, tag.kind, dict(tag.fields))

    def open_form(self, trigger_id: str, form: Mapping[str, Any]) -> None:
        self.gateway.open_view(trigger_id, dict(form))

    def message(self, channel: str, ts: str) -> ChatMessage | None:
        found = self.gateway.message(channel, ts)
        return chat_message(found) if found else None


def chat_message(message: Mapping[str, Any]) -> ChatMessage:
    """A Slack message (``text``, ``user``, maybe ``permalink``) as the chat port's record."""
    link = message.get("permalink")
    return ChatMessage(
        str(message.get("text") or ""),
        str(message.get("user") or ""),
        link,
        tuple(shared_file(f) for f in message.get("files") or [] if isinstance(f, Mapping)),
        tuple(
            said
            for a in message.get("attachments") or []
            if isinstance(a, Mapping) and (said := _attachment_text(a))
        ),
    )


def shared_file(file: Mapping[str, Any]) -> SharedFile:
    """A Slack file object (``name``, ``title``, ``permalink``) as the chat port's record."""
    return SharedFile(
        str(file.get("name") or file.get("id") or "a file"),
        str(file.get("title") or ""),
        str(file.get("permalink") or ""),
    )


def _attachment_text(attachment: Mapping[str, Any]) -> str:
    """What a (legacy) attachment says: its pretext, title, text and fields, else fallback."""
    fields = [
        f"{f.get('title', '')}: {f.get('value', '')}"
        for f in attachment.get("fields") or []
        if isinstance(f, Mapping)
    ]
    parts = [attachment.get(k) for k in ("pretext", "title", "text")] + fields
    said = "\n".join(str(p) for p in parts if p)
    return said or str(attachment.get("fallback") or "")
