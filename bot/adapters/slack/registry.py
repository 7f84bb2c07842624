"""The shape of the command registry: a verb, its button and rights, and the index over them."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk.models.blocks import ButtonElement, ConfirmObject

from bot.adapters.slack import commands
from bot.adapters.slack.commands import Command, Syntax
from bot.core.lifecycle import State

if TYPE_CHECKING:
    from bot.adapters.slack.handlers import Handlers
    from bot.adapters.slack.replies import Invocation, Reply
    from bot.services.read_model import IncidentView

K = TypeVar("K")
V = TypeVar("V")
Parser = Callable[[Syntax, str], Command]
Run = Callable[["Handlers", "Invocation", Command], "Reply | None"]
RunHere = Callable[["Handlers", "Invocation", Command, "IncidentView"], "Reply | None"]
Click = Callable[["Handlers", "Invocation", str], "Reply | None"]
"""A button's use case, given who clicked and the button's value."""


class Scope(enum.Enum):
    ANYWHERE = "anywhere"
    INCIDENT = "on one incident: in its channel, or anywhere with its number"


@dataclass(frozen=True)
class Anywhere:
    run: Run


@dataclass(frozen=True)
class InIncident:
    """Runs on one incident: the one whose number it is typed with (``/incident 12 resolve``),
    else the one whose channel it is typed in; ``outside`` says what to do elsewhere without
    a number."""

    run: RunHere
    outside: Callable[[Command], str] | None = None


@dataclass(frozen=True)
class Asks:
    """A confirmation dialog's words (plain text; Slack's limits: title 24, buttons 24)."""

    title: str
    text: str
    confirm: str
    deny: str = "Not yet"


@dataclass(frozen=True)
class Button:
    action_id: str
    label: str
    """The button's text; ``{}`` placeholders are filled where it is shown."""
    click: Click
    style: str | None = None
    on_card: frozenset[State] = frozenset()
    """The incident states in which the incident card shows it."""
    asks: Asks | None = None
    """Slack's confirmation dialog before it acts (for what acts on production or ends the
    incident)."""

    def element(
        self, value: str, *fill: str, confirm: ConfirmObject | None = None
    ) -> ButtonElement:
        label = self.label.format(*fill) if fill else self.label
        if confirm is None and self.asks is not None:
            confirm = ConfirmObject(
                title=self.asks.title,
                text=self.asks.text,
                confirm=self.asks.confirm,
                deny=self.asks.deny,
            )
        return ButtonElement(
            text=label, action_id=self.action_id, value=value, style=self.style, confirm=confirm
        )


@dataclass(frozen=True)
class Submitted:
    """What a form's submission answered, and the channel to tell the submitter in (privately;
    a direct message when it is not known)."""

    reply: Reply | None
    tell_in: str | None = None


@dataclass(frozen=True)
class Form:
    """A form (a Slack modal) whose submission runs the verb's use case."""

    callback_id: str
    errors: Callable[[dict[str, Any], datetime], Mapping[str, str]]
    """What to fix, by field, as the acknowledgement shows it (the view payload, now in UTC)."""
    submit: Callable[[Handlers, Invocation, dict[str, Any], datetime], Submitted]
    """Run once the form is acknowledged without errors."""


@dataclass(frozen=True)
class Verb:
    """One ``/incident`` verb and every way to trigger its use case."""

    name: str
    usage: str
    summary: str
    example: str
    """A command line as people type it (``@alice`` for a mention), shown in usage errors."""
    parse: Parser
    runs: Anywhere | InIncident
    aliases: tuple[str, ...] = ()
    button: Button | None = None
    typed: bool = True
    """False: no word of its own; another verb's parser hands it its commands."""
    in_ack: bool = False
    """Answered in the acknowledgement itself: touches neither Slack nor the database."""
    acking: str = ""
    """What the acknowledgement says while the work runs (``{severity}`` filled in)."""
    retried: bool = False
    """Run again on Slack's retries, because it is idempotent."""
    form: Form | None = None

    @property
    def scope(self) -> Scope:
        return Scope.ANYWHERE if isinstance(self.runs, Anywhere) else Scope.INCIDENT


class Registry:
    """Every verb, indexed by name, typed word and button action id; each is declared once.

    ``buttons`` are the ones no verb owns: each starts a use case of its own (a rollback
    decision, declaring from an alert) from a message the bot posted."""

    def __init__(self, verbs: Iterable[Verb], buttons: Iterable[Button] = ()) -> None:
        self.verbs = tuple(verbs)
        owned = [v.button for v in self.verbs if v.button]
        self._by_name = _unique((v.name, v) for v in self.verbs)
        self._by_word = _unique(
            (word, v) for v in self.verbs if v.typed for word in (v.name, *v.aliases)
        )
        self._by_action = _unique((b.action_id, b) for b in (*owned, *buttons))
        self._forms = _unique((v.form.callback_id, v.form) for v in self.verbs if v.form)

    def __iter__(self) -> Iterator[Verb]:
        return iter(self.verbs)

    def __getitem__(self, name: str) -> Verb:
        return self._by_name[name]

    def parse(self, text: str) -> Command:
        """The command ``text`` asks for; UsageError with what to type instead if there is none.

        A first word that is a number (``12`` or ``#12``) names the incident the rest is
        about: ``/incident 12 resolve`` works anywhere, and ``/incident 12`` alone shows it."""
        first, rest = _first_word(text)
        if not first:
            return Command("declare")
        number = commands.incident_number(first)
        if number is not None:
            return self._on_incident(number, rest.strip())
        verb = self._by_word.get(first.lower())
        if verb is None:
            raise commands.unknown(first)
        return verb.parse(verb, rest.strip())

    def _on_incident(self, number: int, text: str) -> Command:
        first, rest = _first_word(text)
        if not first:
            return Command("status", incident=number)
        verb = self._by_word.get(first.lower())
        if verb is None:
            raise commands.unknown(first)
        command = verb.parse(verb, rest.strip())
        if self._by_name[command.name].scope is Scope.ANYWHERE:
            raise commands.not_about_one(number, verb)
        return replace(command, incident=number)

    def forms(self) -> tuple[Form, ...]:
        return tuple(self._forms.values())

    def form(self, callback_id: str) -> Form:
        return self._forms[callback_id]

    def buttons(self) -> tuple[Button, ...]:
        return tuple(self._by_action.values())

    def button(self, action_id: str) -> Button:
        return self._by_action[action_id]

    def card_buttons(self, state: State) -> tuple[Button, ...]:
        return tuple(b for b in self._by_action.values() if state in b.on_card)


def _unique(pairs: Iterable[tuple[K, V]]) -> dict[K, V]:
    found: dict[K, V] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"{key!r} is declared twice in the command registry")
        found[key] = value
    return found


def _first_word(text: str) -> tuple[str, str]:
    """``text``'s first word and the rest, split at any whitespace (a tab, a no-break space a
    phone or a paste put after it)."""
    first, *rest = text.split(maxsplit=1) or [""]
    return first, rest[0] if rest else ""
