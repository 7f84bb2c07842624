"""What the bot did, as a terminal shows it: its Slack calls and replies turned into lines.

Buttons get numbers a user presses (a button an edited message keeps keeps its number), an edited
message shows what changed, and replies only one person sees say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.entrypoints.sandbox import render
from bot.entrypoints.sandbox.clock import VirtualClock
from bot.entrypoints.sandbox.slack_api import Directory, PostedResponse, RecordedCall, SlackApiStub

Json = dict[str, Any]
INDENT = "    "
SCRATCH = "<sandbox files>"
# Where the stand-in takes what the bot would send outside Slack.
PAGERDUTY_KEY, WEBHOOK_KEY = "pagerduty", "rollback-webhook"
SILENT = frozenset(
    {
        "auth.test",
        "chat.getPermalink",
        "conversations.history",
        "conversations.info",
        "conversations.join",
        "conversations.members",
        "conversations.replies",
        "users.info",
        "usergroups.users.list",
        "files.getUploadURLExternal",
        "reactions.add",
        "views.update",
    }
)


@dataclass(frozen=True)
class Target:
    """A numbered button and where it was shown."""

    button: render.Button
    channel: str
    ts: str | None  # None: an ephemeral message (a reply only its reader sees)
    reader: str | None


class Names:
    """Ids shown as Slack shows them, read fresh from the stand-in's directory."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def user(self, user_id: str) -> str:
        return self.directory.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return self.directory.channels.get(channel_id, channel_id)

    def group(self, group_id: str) -> str:
        return self.directory.groups.get(group_id, group_id)


class Screen:
    def __init__(
        self,
        stub: SlackApiStub,
        tz: ZoneInfo,
        clock: VirtualClock,
        scratch: str,
        on_channel_created: Callable[[str], None],
        on_form: Callable[[Json], list[str]],
    ) -> None:
        self.stub = stub
        self.tz = tz
        self.clock = clock
        self.scratch = scratch
        self.on_channel_created = on_channel_created
        self.on_form = on_form
        self.targets: dict[int, Target] = {}
        self.next_button = 1
        self.replies: dict[str, tuple[str, str]] = {}  # response_url key: reader, channel
        self.shown: dict[tuple[str, str], list[str]] = {}  # (channel, ts): lines last shown

    def show(self, entries: list[RecordedCall | PostedResponse]) -> list[str]:
        lines: list[str] = []
        for entry in entries:
            lines += self._entry(entry)
        return lines

    def names(self) -> Names:
        return Names(self.stub.directory())

    def context(self) -> tuple[Names, ZoneInfo, datetime]:
        return self.names(), self.tz, self.clock()

    def _entry(self, entry: RecordedCall | PostedResponse) -> list[str]:
        if isinstance(entry, PostedResponse):
            return self._response(entry)
        call, names = entry, self.names()
        if not call.ok:
            invalid = "" if call.valid else " (a call Slack would reject as malformed)"
            return [
                f"{INDENT}! Slack answered {call.method}: {call.response.get('error')}{invalid}"
            ]
        if call.method in SILENT:
            return []
        result, params = call.response, call.params
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if isinstance(result.get("channel"), str):
            channel = str(result["channel"])
        if call.method == "chat.postMessage":
            return self.message(_content(call), channel, ts=str(result["ts"]))
        if call.method == "chat.update":
            return self._edited(_content(call), channel, str(result["ts"]))
        if call.method == "chat.postEphemeral":
            return self.message(_content(call), channel, reader=str(params.get("user")))
        if call.method == "conversations.create":
            self.on_channel_created(str(result["channel"]["id"]))
            return [f"{INDENT}+ channel #{result['channel']['name']} created"]
        if call.method == "conversations.invite":
            people = [f"@{names.user(u)}" for u in str(params["users"]).split(",")]
            return [f"{INDENT}+ {', '.join(people)} invited to #{names.channel(channel)}"]
        if call.method == "conversations.setTopic":
            topic = render.mrkdwn(str(params["topic"]), *self.context())
            return [f"{INDENT}#{names.channel(channel)} topic: {topic}"]
        if call.method in ("pins.add", "pins.remove"):
            verb = "pinned" if call.method == "pins.add" else "unpinned"
            return [f"{INDENT}{verb} a message in #{names.channel(channel)}"]
        if call.method in ("views.open", "views.push"):
            return self.on_form(result["view"])
        if call.method == "files.completeUploadExternal":
            return self._shared_files(call)
        return [f"{INDENT}({call.method})"]

    def _response(self, posted: PostedResponse) -> list[str]:
        if posted.key == PAGERDUTY_KEY:
            summary = posted.message.get("payload", {}).get("summary", "")
            return [f"{INDENT}PagerDuty page (to the stand-in): {summary}"]
        if posted.key == WEBHOOK_KEY:
            url = posted.message.get("url", "")
            return [f"{INDENT}rollback webhook {url} (called on the stand-in, not for real)"]
        reader, channel = self.replies[posted.key]  # every response URL is one the sandbox made
        if posted.replaced is not None:
            return self._edited(posted.message, *posted.replaced)
        if posted.message.get("delete_original"):
            return [f"{INDENT}(the bot removed its reply to @{self.names().user(reader)})"]
        return self.message(posted.message, channel, reader=reader)

    def message(
        self, content: Json, channel: str, ts: str | None = None, reader: str | None = None
    ) -> list[str]:
        """A message in ``channel`` (``ts`` once it is posted), or one only ``reader`` sees."""
        rendered = self._render(content, channel, ts, reader)
        if ts is not None:
            self.shown[(channel, ts)] = rendered
        who = f"only @{self.names().user(reader)} sees" if reader else "incident-bot"
        return [f"{INDENT}#{self.names().channel(channel)} · {who}", *self.rendered(rendered)]

    def _edited(self, content: Json, channel: str, ts: str) -> list[str]:
        before = self.shown.get((channel, ts), [])
        full = self.current_message(channel, ts)
        after = self._render(full or content, channel, ts, None)
        self.shown[(channel, ts)] = after
        changed = [line for line in after if line not in before]
        head = f"{INDENT}#{self.names().channel(channel)} · incident-bot edited a message"
        return [head, *self.rendered(changed)] if changed else []

    def _render(self, content: Json, channel: str, ts: str | None, reader: str | None) -> list[str]:
        """Render a message; a button an edited message still has keeps its number."""
        first = self.next_button
        shown = render.message(content.get("blocks"), content.get("text"), *self.context(), first)
        kept = {
            (t.button.action_id, t.button.value): number
            for number, t in self.targets.items()
            if ts is not None and (t.channel, t.ts) == (channel, ts)
        }
        numbers: dict[int, int] = {}
        for button in shown.buttons:
            number = kept.get((button.action_id, button.value))
            if number is None:
                number, self.next_button = self.next_button, self.next_button + 1
            numbers[button.number] = number
            self.targets[number] = Target(replace(button, number=number), channel, ts, reader)
        last = first + len(shown.buttons)

        def renumber(match: re.Match[str]) -> str:
            shown_as = int(match.group(1))
            return f"[{numbers[shown_as]}]" if first <= shown_as < last else match.group(0)

        return [_BUTTON_NUMBER.sub(renumber, line) for line in shown.lines]

    def _shared_files(self, call: RecordedCall) -> list[str]:
        lines = []
        files = self.stub.files
        for entry in json.loads(str(call.params.get("files") or "[]")):
            file = files.get(str(entry.get("id")))
            if file is None:
                continue
            where = ", ".join(f"#{self.names().channel(c)}" for c in file.channels)
            lines.append(f"{INDENT}{where} · incident-bot shared {file.title}")
            text = (file.content or b"").decode("utf-8", errors="replace")
            lines += self.rendered(text.splitlines())
        return lines

    def current_message(self, channel: str, ts: str | None) -> Json:
        """The message as it is now in the stand-in (``{}`` for an ephemeral one)."""
        if ts is None:
            return {}
        try:
            messages = self.stub.messages(channel)
        except KeyError:
            return {}
        return next((m for m in messages if m["ts"] == ts), {})

    def rendered(self, lines: list[str]) -> list[str]:
        # The scratch directory's name changes every run; a drill's transcript must not.
        return [f"{INDENT}  {line.replace(self.scratch, SCRATCH)}".rstrip() for line in lines]


_BUTTON_NUMBER = re.compile(r"\[(\d+)\]")


def _content(call: RecordedCall) -> Json:
    content: Json = {"text": call.params.get("text")}
    if call.blocks is not None:
        content["blocks"] = call.blocks
    return content


def has_button(message: Json, button: render.Button) -> bool:
    return any(
        element.get("action_id") == button.action_id and element.get("value", "") == button.value
        for block in message.get("blocks") or []
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]
        if isinstance(element, dict)
    )
