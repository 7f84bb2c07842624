"""Recording fakes for the signal, channel-note and deadline use cases: chat, wording, pager."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.alerts import Alert
from bot.core.rollback import Deploy
from bot.services.announcer import Overdue, Reminder
from bot.services.chat import ChatFailure, ChatMessage, Message, Tag
from bot.services.pager import Page
from bot.services.probing import ProbeResult


@dataclass(frozen=True)
class Posted:
    channel: str
    text: str
    tag: Tag | None
    ts: str


@dataclass
class FakeChat:
    """Records every call; ``fail("post")`` makes the next such call raise ChatFailure."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    posted: list[Posted] = field(default_factory=list)
    messages: dict[tuple[str, str], ChatMessage] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)

    def fail(self, method: str, times: int = 1) -> None:
        self.failing[method] = self.failing.get(method, 0) + times

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append((method, args))
        if self.failing.get(method):
            self.failing[method] -= 1
            raise ChatFailure(f"{method} failed: fake_failure")

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def texts(self, channel: str | None = None) -> list[str]:
        return [p.text for p in self.posted if channel in (None, p.channel)]

    def create_channel(self, names: Iterable[str]) -> tuple[str, str]:
        name = next(iter(names))
        self._call("create_channel", name)
        return f"C{name.upper()}", name

    def invite(self, channel: str, users: Iterable[str]) -> None:
        self._call("invite", channel, tuple(users))

    def group_members(self, group: str) -> list[str]:
        self._call("group_members", group)
        return []

    def display_name(self, user_id: str) -> str:
        self._call("display_name", user_id)
        return f"@{user_id.lower()}"

    def set_topic(self, channel: str, topic: str) -> None:
        self._call("set_topic", channel, topic)

    def post(self, channel: str, message: Message, tag: Tag | None = None) -> str:
        self._call("post", channel, message.text)
        ts = f"{len(self.posted) + 1}.000100"
        self.posted.append(Posted(channel, message.text, tag, ts))
        return ts

    def update(self, channel: str, ts: str, message: Message) -> None:
        self._call("update", channel, ts, message.text)

    def pin(self, channel: str, ts: str) -> None:
        self._call("pin", channel, ts)

    def ephemeral(self, channel: str, user: str, message: Message) -> None:
        self._call("ephemeral", channel, user, message.text)

    def upload(self, channel: str, content: str, filename: str, title: str) -> None:
        self._call("upload", channel, filename, title)

    def find_tagged(self, channel: str, tag: Tag) -> str | None:
        self._call("find_tagged", channel, tag)
        found = [p.ts for p in self.posted if p.channel == channel and p.tag == tag]
        return found[-1] if found else None

    def message(self, channel: str, ts: str) -> ChatMessage | None:
        self._call("message", channel, ts)
        return self.messages.get((channel, ts))

    def permalink(self, channel: str, ts: str) -> str | None:
        self._call("permalink", channel, ts)
        return f"https://chat.example/{channel}/p{ts.replace('.', '')}"

    def open_form(self, trigger_id: str, form: Mapping[str, Any]) -> None:
        self._call("open_form", trigger_id, dict(form))


def _said(text: str) -> Message:
    return Message(content=[], text=text)


class FakeSignalWording:
    """Says what it was asked to word, in one plain line."""

    def alert_firing(self, alert: Alert) -> Message:
        return _said(f"firing: {alert.name}")

    def declare_offer(self, alert: Alert) -> Message:
        return _said(f"declare? {alert.name} ({alert.fingerprint})")

    def no_dependencies(self) -> Message:
        return _said("no dependencies")

    def dependency_health(self, results: Sequence[ProbeResult]) -> Message:
        return _said("health: " + ", ".join(f"{r.target} {r.healthy}" for r in results))

    def mitigate(self, moves: Sequence[str]) -> Message:
        return _said("mitigate: " + ", ".join(moves))

    def recent_deploys(
        self, deploys: Sequence[Deploy], now: datetime, services: Sequence[str]
    ) -> Message:
        shown = ", ".join(f"{d.service} {d.version}" for d in deploys)
        return _said(f"deploys of {','.join(services)}: {shown}")

    def firing_alerts(self, alerts: Sequence[Alert]) -> Message:
        return _said("alerts: " + ", ".join(alert.name for alert in alerts))


class FakeDeadlineWording:
    """Keeps every notice it worded, and says it in one plain line."""

    def __init__(self) -> None:
        self.notices: list[Overdue | Reminder] = []

    def overdue(self, notice: Overdue) -> Message:
        self.notices.append(notice)
        return _said(f"overdue: {notice.deadline.key}")

    def reminder(self, notice: Reminder) -> Message:
        self.notices.append(notice)
        return _said(f"reminder: {notice.deadline.key}")


@dataclass
class FakePager:
    """Takes every page (or none, with ``accepting=False``), and keeps them."""

    accepting: bool = True
    pages: list[Page] = field(default_factory=list)

    def trigger(self, page: Page) -> bool:
        self.pages.append(page)
        return self.accepting


@dataclass
class FakeProber:
    """Every target healthy unless listed in ``down``; keeps what it was asked."""

    down: set[str] = field(default_factory=set)
    asked: list[list[str]] = field(default_factory=list)

    def __call__(self, targets: Sequence[str], timeout: float) -> list[ProbeResult]:
        self.asked.append(list(targets))
        return [
            ProbeResult(t, "tcp", t not in self.down, None if t in self.down else 1.0, None, "")
            for t in targets
        ]
