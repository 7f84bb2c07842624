"""Recording fakes of the ports: the chat, wordings and a ticket sink."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.playbooks.schema import Playbook
from bot.services import leases
from bot.services.chat import ChatFailure, ChatMessage, Message, Tag
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate, Ticket
from bot.services.rooms import SetupProblem, TicketNotFiled

Call = tuple[Any, ...]


class Refused(ChatFailure):
    """A refusal for good, as Slack's ``is_archived`` or ``account_inactive``."""

    @property
    def permanent(self) -> bool:
        return True

    @property
    def code(self) -> str:
        return str(self).rsplit(": ", 1)[-1]  # "chat.postMessage failed: is_archived"


def message(text: str) -> Message:
    return Message(content=[], text=text)


@dataclass(frozen=True)
class Posted:
    channel: str
    text: str
    tag: Tag | None
    ts: str
    thread: str | None = None
    broadcast: bool = False


@dataclass
class FakeChat:
    """The Chat port in memory. Every call is recorded as ``(method, *arguments)``; a method
    named in ``failing`` always raises ChatFailure, and ``fail(method, times)`` makes its next
    ``times`` calls raise; a post to a channel or person in ``refusing`` raises ``Refused``
    with the error it maps to (``{"CINC1": "is_archived"}``); ``rate_limit(method, seconds)``
    makes its next call wait first, as
    Slack's gateway does. Posts are kept (``posted``, ``texts``) and found again by their tag;
    within a timer's firing, a post is sent only while its claim holds (``leases``).
    """

    groups: Mapping[str, list[str]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    messages: dict[tuple[str, str], ChatMessage] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    refusing: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    posted: list[Posted] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    """Channels created, by name."""
    _fail_next: dict[str, int] = field(default_factory=dict)
    _waits: dict[str, list[tuple[float, Callable[[], None]]]] = field(default_factory=dict)

    def fail(self, method: str, times: int = 1) -> None:
        self._fail_next[method] = self._fail_next.get(method, 0) + times

    def rate_limit(
        self, method: str, seconds: float, meanwhile: Callable[[], None] = lambda: None
    ) -> None:
        """Answer the next call to ``method`` as Slack does when rate-limited, handled as the
        gateway handles it: ``leases.before_wait(seconds)``, the wait (``meanwhile`` runs in
        its place: no time passes), then ``leases.before_send()`` before the call is made again;
        ChatFailure ("ratelimited") when either finds the firing's claim lost."""
        self._waits.setdefault(method, []).append((seconds, meanwhile))

    def _record(self, method: str, *arguments: Any) -> None:
        self.calls.append((method, *arguments))
        if waits := self._waits.get(method):
            seconds, meanwhile = waits.pop(0)
            if not leases.before_wait(seconds):
                raise ChatFailure(f"{method} failed: ratelimited")
            meanwhile()
            if not leases.before_send():
                raise ChatFailure(f"{method} failed: ratelimited")
            self.calls.append((method, *arguments))  # the call made again
        if self._fail_next.get(method):
            self._fail_next[method] -= 1
            raise ChatFailure(f"{method} failed: fake_failure")
        if method in self.failing:
            raise ChatFailure(f"{method} failed")

    def to(self, method: str) -> list[Call]:
        """The recorded calls of ``method``, without the method's name."""
        return [call[1:] for call in self.calls if call[0] == method]

    @property
    def methods(self) -> list[str]:
        return [call[0] for call in self.calls]

    def texts(self, channel: str | None = None) -> list[str]:
        """What was posted (in ``channel``, or anywhere), in order."""
        return [p.text for p in self.posted if channel in (None, p.channel)]

    def create_channel(self, names: Iterable[str]) -> tuple[str, str]:
        first = next(iter(names))
        self._record("create_channel", first)
        self.channels[first] = "C1"
        return "C1", first

    def find_channel(self, name: str) -> str | None:
        self._record("find_channel", name)
        return self.channels.get(name)

    def invite(self, channel: str, users: Iterable[str]) -> None:
        self._record("invite", channel, frozenset(users))

    def group_members(self, group: str) -> list[str]:
        self._record("group_members", group)
        return list(self.groups.get(group, []))

    def display_name(self, user_id: str) -> str:
        self._record("display_name", user_id)
        return self.names.get(user_id, user_id)

    def name(self, chat_id: str) -> str:
        self._record("name", chat_id)
        return self.names.get(chat_id, f"@{chat_id}")

    def set_topic(self, channel: str, topic: str) -> None:
        self._record("set_topic", channel, topic)

    def post(
        self,
        channel: str,
        message: Message,
        tag: Tag | None = None,
        thread: str | None = None,
        broadcast: bool = False,
    ) -> str:
        if not leases.before_send():
            raise ChatFailure("post not sent: the timer was taken over")
        self._record("post", channel, message.text)
        if channel in self.refusing:
            raise Refused(f"chat.postMessage failed: {self.refusing[channel]}")
        ts = f"ts-{len(self.posted) + 1}"
        self.posted.append(Posted(channel, message.text, tag, ts, thread, broadcast))
        return ts

    def update(self, channel: str, ts: str, message: Message) -> None:
        self._record("update", channel, ts, message.text)

    def pin(self, channel: str, ts: str) -> None:
        self._record("pin", channel, ts)

    def ephemeral(self, channel: str, user: str, message: Message) -> None:
        self._record("ephemeral", channel, user, message.text)

    def upload(self, channel: str, content: str, filename: str, title: str) -> None:
        self._record("upload", channel, content, filename, title)

    def find_tagged(self, channel: str, tag: Tag) -> str | None:
        self._record("find_tagged", channel, tag)
        found = [p.ts for p in self.posted if p.channel == channel and p.tag == tag]
        return found[-1] if found else None

    def message(self, channel: str, ts: str) -> ChatMessage | None:
        self._record("message", channel, ts)
        return self.messages.get((channel, ts))

    def permalink(self, channel: str, ts: str) -> str | None:
        self._record("permalink", channel, ts)
        return f"https://chat.example/{channel}/p{ts.replace('.', '')}"

    def open_form(self, trigger_id: str, form: Mapping[str, Any]) -> None:
        self._record("open_form", trigger_id, dict(form))


class FakeRoomWording:
    """RoomWording in plain words that name what each message is about."""

    def channel_names(self, view: IncidentView) -> Iterator[str]:
        yield from (f"inc-{view.id}", f"inc-{view.id}-2")

    def card(self, view: IncidentView, playbook: Playbook) -> Message:
        return message(f"card {view.id} {view.state}")

    def topic(self, view: IncidentView) -> str:
        return f"topic {view.id}"

    def announcement(self, view: IncidentView, channel_id: str | None) -> Message:
        return message(f"announcement {view.id} in {channel_id}")

    def change(self, view: IncidentView, kind: Any, before: Any) -> Message:
        return message(f"{kind} {view.id}")

    def resolution(self, view: IncidentView, impact: str) -> Message:
        return message(f"resolved {view.id}: {impact}")

    def teams_invited(self, view: IncidentView, teams: list[tuple[str, str]]) -> Message:
        return message(f"invited {sorted(group for _, group in teams)}")

    def status_update(self, view: IncidentView, author: str, sentence: str) -> Message:
        return message(f"update {view.id} by {author}: {sentence}")

    def stakeholder_update(self, view: IncidentView, sentence: str) -> Message:
        return message(f"stakeholders {view.id}: {sentence}")

    def problem(self, problem: SetupProblem) -> str:
        about = f" ({problem.about})" if problem.about else ""
        return f"{problem.step}{about}: {problem.detail}"


@dataclass
class FakeTickets:
    """A TicketSink that files ``T-<id>``, or refuses when ``refuse`` is set."""

    refuse: bool = False
    filed: list[int] = field(default_factory=list)

    def file(self, view: IncidentView) -> Ticket:
        if self.refuse:
            raise TicketNotFiled("the tracker is down")
        self.filed.append(view.id)
        return Ticket("fake", f"T-{view.id}", None, view.now)


class FakePostmortemWording:
    """The draft names the declarer and each update's author, through ``person``."""

    def draft(
        self, view: IncidentView, updates: Sequence[StatusUpdate], person: Callable[[str], str]
    ) -> str:
        people = [person(view.declared_by), *(person(u.author) for u in updates)]
        return f"draft {view.id} by {', '.join(people)}"

    def published(self, by: str, url: str) -> Message:
        return message(f"{by} published {url}")
