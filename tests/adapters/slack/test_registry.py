"""The command registry is the one place a verb is declared; help, parsing and buttons follow it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bot.adapters.slack import blocks, commands, modals, updates
from bot.adapters.slack.commands import UsageError
from bot.adapters.slack.listeners import Listeners
from bot.adapters.slack.mrkdwn import escape
from bot.adapters.slack.registry import Anywhere, Button, Registry, Scope, Verb
from bot.adapters.slack.verbs import VERBS
from bot.core.lifecycle import State
from bot.core.model import Incident, Severity
from bot.services.read_model import IncidentView
from bot.services.records import StoredIncident

BOT_CODE = Path(__file__).resolve().parents[3] / "bot"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class RecordingApp:
    """Stands in for Bolt's App: notes what the listeners register."""

    def __init__(self) -> None:
        self.actions: list[str] = []
        self.views: list[str] = []

    def action(self, action_id: str) -> Any:
        self.actions.append(action_id)
        return lambda *_, **__: None

    def view(self, callback_id: str) -> Any:
        self.views.append(callback_id)
        return lambda *_, **__: None

    def command(self, _name: str) -> Any:
        return lambda *_, **__: None

    event = command
    shortcut = command

    def middleware(self, _middleware: Any) -> None:
        return None


def registered() -> RecordingApp:
    app = RecordingApp()
    listeners = Listeners(cast(Any, None), cast(Any, None), cast(Any, None), lambda then: then())
    listeners.register(cast(Any, app))
    return app


def registered_actions() -> list[str]:
    return registered().actions


def view_in(state: State) -> IncidentView:
    incident = Incident("t", Severity.SEV1, state, NOW, "U0ALICE", NOW)
    return IncidentView.of(StoredIncident(7, incident), (), NOW)


def card_action_ids(state: State) -> list[str]:
    elements = blocks._buttons(view_in(state)).to_dict()["elements"]
    return [str(element["action_id"]) for element in elements]


@pytest.mark.parametrize("state", list(State))
def test_every_button_the_card_shows_is_registered_with_bolt(state: State) -> None:
    shown = card_action_ids(state)
    assert shown, f"a {state} incident's card has no button"
    assert set(shown) <= set(registered_actions())


def test_every_registry_button_is_registered_with_bolt_once() -> None:
    actions = registered_actions()
    for button in VERBS.buttons():
        assert actions.count(button.action_id) == 1, button.action_id


def test_every_form_is_a_registry_entry_registered_with_bolt_once() -> None:
    views = registered().views
    assert sorted(views) == sorted(form.callback_id for form in VERBS.forms())
    assert {modals.DECLARE, updates.CALLBACK} <= set(views)
    assert len(set(views)) == len(views)
    assert VERBS.form(modals.DECLARE) is VERBS["declare"].form
    assert VERBS.form(updates.CALLBACK) is VERBS["update"].form


def test_the_card_shows_the_lifecycle_buttons_of_its_state_in_registry_order() -> None:
    assert card_action_ids(State.INVESTIGATING) == [
        "incident.ack",
        "incident.mitigated",
        "incident.resolve",
    ]
    assert card_action_ids(State.MITIGATED) == ["incident.ack", "incident.resolve"]
    assert card_action_ids(State.RESOLVED) == card_action_ids(State.CLOSED) == ["incident.reopen"]


def test_help_lists_every_registry_entry_once_under_its_scope() -> None:
    anywhere, inside = (block["text"]["text"].splitlines() for block in blocks.help_text())
    assert anywhere[0] == "*Anywhere*"
    assert inside[0].startswith("*On one incident: in its channel, or anywhere with its number")
    assert "`/incident 12 resolve`" in inside[0]
    for verb in VERBS:
        line = f"`/incident {escape(verb.usage)}`: {escape(verb.summary)}"
        assert (anywhere if isinstance(verb.runs, Anywhere) else inside).count(line) == 1
    assert len(anywhere) + len(inside) == len(VERBS.verbs) + 2


def as_slack_sends(example: str) -> str:
    """A mention picked from Slack's @ menu arrives as ``<@U…|name>``."""
    return re.sub(r"@(\w+)", lambda m: f"<@U0{m.group(1).upper()}|{m.group(1)}>", example)


@pytest.mark.parametrize("verb", list(VERBS), ids=lambda verb: verb.name)
def test_every_example_parses_to_its_own_verb(verb: Verb) -> None:
    command = VERBS.parse(as_slack_sends(verb.example))
    assert VERBS[command.name] is verb


@pytest.mark.parametrize("verb", [v for v in VERBS if v.typed], ids=lambda verb: verb.name)
def test_every_word_and_alias_reaches_its_verb(verb: Verb) -> None:
    rest = verb.example.partition(" ")[2]
    for word in (verb.name, *verb.aliases):
        command = VERBS.parse(as_slack_sends(f"{word.upper()} {rest}"))
        assert command.name == verb.name


NEEDS_ARGUMENTS = ["ic", "role", "service", "note", "deploy"]


@pytest.mark.parametrize("name", NEEDS_ARGUMENTS)
def test_a_verb_that_needs_arguments_quotes_its_example_when_they_are_missing(name: str) -> None:
    verb = VERBS[name]
    with pytest.raises(UsageError, match=re.escape(f"`/incident {verb.example}`")):
        VERBS.parse(verb.name)


def test_a_verb_without_a_word_cannot_be_typed() -> None:
    with pytest.raises(UsageError, match="is not an /incident command"):
        VERBS.parse("severity sev2")


def nothing(_verb: commands.Syntax, _rest: str) -> commands.Command:
    return commands.Command("x")


def verb(name: str, *, aliases: tuple[str, ...] = (), button: Button | None = None) -> Verb:
    runs = Anywhere(lambda h, who, command: None)
    return Verb(name, name, "s", name, nothing, runs, aliases=aliases, button=button)


@pytest.mark.parametrize(
    "verbs",
    [
        [verb("a"), verb("a")],
        [verb("a", aliases=("b",)), verb("b")],
        [
            verb("a", button=Button("incident.x", "X", lambda h, who, value: None)),
            verb("b", button=Button("incident.x", "Y", lambda h, who, value: None)),
        ],
    ],
    ids=["name", "alias", "action-id"],
)
def test_a_word_or_button_declared_twice_is_refused(verbs: list[Verb]) -> None:
    with pytest.raises(ValueError, match="declared twice"):
        Registry(verbs)


def test_no_other_module_spells_a_registry_buttons_action_id() -> None:
    for path in BOT_CODE.rglob("*.py"):
        if path == BOT_CODE / "adapters" / "slack" / "verbs.py":
            continue
        source = path.read_text()
        for button in VERBS.buttons():
            assert f'"{button.action_id}"' not in source, f"{path.name}: {button.action_id}"


@pytest.mark.parametrize("number", ["12", "#12"])
@pytest.mark.parametrize(
    "verb", [v for v in VERBS if v.scope is Scope.INCIDENT], ids=lambda verb: verb.name
)
def test_every_verb_on_one_incident_takes_its_number_first(verb: Verb, number: str) -> None:
    command = VERBS.parse(as_slack_sends(f"{number} {verb.example}"))
    assert (VERBS[command.name], command.incident) == (verb, 12)
    assert command == replace(VERBS.parse(as_slack_sends(verb.example)), incident=12)


def test_a_command_without_a_number_is_about_the_channels_incident() -> None:
    assert VERBS.parse("resolve").incident is None


def test_a_number_alone_shows_the_incident() -> None:
    assert VERBS.parse("#7") == commands.Command("status", incident=7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 list", "`/incident list` is not about one incident, so it takes no number"),
        ("12 deploy checkout v42", "type `/incident deploy checkout v42`"),
        ("12 sev2 search is slow", "type `/incident 12 sev2` alone; to declare a new incident"),
        ("12 frobnicate", "`frobnicate` is not an /incident command"),
        ("12 ack now", "takes nothing after it"),
        ("0 ack", "`0` is not an /incident command"),
        ("12ack", "`12ack` is not an /incident command"),
    ],
)
def test_a_number_with_what_takes_none_says_what_to_type(text: str, expected: str) -> None:
    with pytest.raises(UsageError, match=re.escape(expected)):
        VERBS.parse(text)


def test_a_severity_typed_with_a_number_asks_to_change_it() -> None:
    assert VERBS.parse("12 sev2") == commands.Command(
        "severity", severity=Severity.SEV2, incident=12
    )
