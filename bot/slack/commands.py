"""What people type after ``/incident``: parsed into typed commands by one registration table.

The table doubles as ``/incident help``. Parsing is pure: text in, a command or a UsageError out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.model import Severity
from bot.slack.mrkdwn import escape, truncate

TITLE_LIMIT = 200
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


class Scope(enum.Enum):
    ANYWHERE = "anywhere"
    INCIDENT = "in an incident's channel"


@dataclass(frozen=True)
class Command:
    name: str
    severity: Severity | None = None
    text: str = ""
    user: str | None = None
    words: tuple[str, ...] = ()


class UsageError(ValueError):
    """A command that cannot be understood; the message says what to type instead."""


@dataclass(frozen=True)
class Spec:
    usage: str
    summary: str
    scope: Scope
    parse: Callable[[str, str], Command]


def _no_arguments(name: str, rest: str) -> Command:
    if rest:
        raise UsageError(f"`/incident {name}` takes nothing after it; type `/incident {name}`")
    return Command(name)


def _declare(name: str, rest: str) -> Command:
    severity = Severity(name)
    title = " ".join(rest.split())[:TITLE_LIMIT]
    return Command("declare" if title else "severity", severity=severity, text=title)


def _mention(word: str, usage: str) -> str:
    match = _USER.match(word)
    if match is None:
        raise UsageError(
            f"`{escape(truncate(word, 40))}` is not a mention of a person: "
            f"type `{usage}`, choosing the "
            "person from Slack's @ menu"
        )
    return match.group(1)


def _commander(name: str, rest: str) -> Command:
    words = rest.split()
    if len(words) != 1:
        raise UsageError("name one person: `/incident ic @alice`")
    return Command(name, user=_mention(words[0], "/incident ic @alice"))


def _role(name: str, rest: str) -> Command:
    words = rest.split()
    usage = "/incident role comms @alice"
    if len(words) != 2 or not re.fullmatch(r"[a-z][a-z0-9_-]{0,29}", words[0].lower()):
        raise UsageError(f"give a role and a person: `{usage}`")
    return Command(name, text=words[0].lower(), user=_mention(words[1], usage))


def _words(name: str, rest: str) -> Command:
    words = tuple(dict.fromkeys(w.strip(",").lower() for w in rest.replace(",", " ").split()))
    if not words:
        raise UsageError("name the affected services: `/incident service checkout payments`")
    return Command(name, words=words)


def _text(name: str, rest: str) -> Command:
    if not rest.strip():
        raise UsageError(f"say what to record: `/incident {name} rolled back checkout to v41`")
    return Command(name, text=rest.strip())


def _deploy(name: str, rest: str) -> Command:
    words = rest.split()
    if len(words) != 2:
        raise UsageError("name the service and the version: `/incident deploy checkout v42`")
    return Command(name, words=(words[0].lower(), words[1][:200]))


def _deploys(name: str, rest: str) -> Command:
    words = rest.split()
    if len(words) > 1:
        raise UsageError("name at most one service: `/incident deploys checkout`")
    return Command(name, words=tuple(w.lower() for w in words))


def _postmortem(name: str, rest: str) -> Command:
    words = rest.split()
    if not words:
        return Command(name)
    if len(words) == 2 and words[0].lower() == "done" and re.fullmatch(r"https?://\S+", words[1]):
        return Command(name, text=words[1][:1000])
    raise UsageError(
        "type `/incident postmortem` for the draft, or `/incident postmortem done "
        "https://wiki.example/pm-42` once it is published"
    )


def _declaration_modal(name: str, rest: str) -> Command:
    if rest:
        raise UsageError(
            "`/incident declare` opens the form and takes nothing after it; to "
            "declare at once, type `/incident sev1 checkout is returning 500s`"
        )
    return Command("declare-modal")


def _unknown(name: str, _rest: str) -> Command:
    raise UsageError(
        f"`{escape(truncate(name, 40))}` is not an /incident command; "
        "type `/incident help` for the list"
    )


COMMANDS: Mapping[str, Spec] = {
    "sev1": Spec(
        "sev1 <title>",
        "declare a Sev1 (site down, data-loss risk) at once",
        Scope.ANYWHERE,
        _declare,
    ),
    "sev2": Spec(
        "sev2 <title>", "declare a Sev2 (degraded, partial outage)", Scope.ANYWHERE, _declare
    ),
    "sev3": Spec(
        "sev3 <title>",
        "log a Sev3 (minor, workaround exists) and file a ticket",
        Scope.ANYWHERE,
        _declare,
    ),
    "declare": Spec(
        "declare",
        "open the declaration form (also plain `/incident`)",
        Scope.ANYWHERE,
        _declaration_modal,
    ),
    "ack": Spec("ack", "I'm responding", Scope.INCIDENT, _no_arguments),
    "join": Spec("join", "join the response", Scope.INCIDENT, _no_arguments),
    "ic": Spec("ic @user", "make someone the incident commander", Scope.INCIDENT, _commander),
    "role": Spec(
        "role <role> @user", "give someone a role (comms, scribe, ...)", Scope.INCIDENT, _role
    ),
    "service": Spec("service <name...>", "set the affected services", Scope.INCIDENT, _words),
    "mitigated": Spec("mitigated", "the bleeding has stopped", Scope.INCIDENT, _no_arguments),
    "resolve": Spec("resolve", "the incident is over", Scope.INCIDENT, _no_arguments),
    "reopen": Spec("reopen", "it is back", Scope.INCIDENT, _no_arguments),
    "close": Spec("close", "close a resolved incident", Scope.INCIDENT, _no_arguments),
    "note": Spec("note <text>", "add an entry to the timeline", Scope.INCIDENT, _text),
    "update": Spec(
        "update [impact=… affected=… action=… next=…]",
        "post a status update (a form, or all on one line)",
        Scope.INCIDENT,
        lambda name, rest: Command(name, text=rest),
    ),
    "deps": Spec(
        "deps", "check the affected services' dependencies now", Scope.INCIDENT, _no_arguments
    ),
    "postmortem": Spec(
        "postmortem [done <url>]",
        "write the post-mortem draft, or record the published one",
        Scope.INCIDENT,
        lambda name, rest: _postmortem(name, rest),
    ),
    "status": Spec("status", "show the incident card again", Scope.INCIDENT, _no_arguments),
    "timeline": Spec("timeline", "show the timeline", Scope.INCIDENT, _no_arguments),
    "deploy": Spec(
        "deploy <service> <version>",
        "record a deploy by hand (finished now)",
        Scope.ANYWHERE,
        lambda name, rest: _deploy(name, rest),
    ),
    "deploys": Spec(
        "deploys [service]",
        "recent deploys, newest first",
        Scope.ANYWHERE,
        lambda name, rest: _deploys(name, rest),
    ),
    "list": Spec(
        "list", "open incidents, their commanders and next deadlines", Scope.ANYWHERE, _no_arguments
    ),
    "help": Spec("help", "this list", Scope.ANYWHERE, _no_arguments),
}
ALIASES = {
    "services": "service",
    "resolved": "resolve",
    "mitigate": "mitigated",
    "commander": "ic",
    "closed": "close",
}
SEVERITY_WORDS = {
    "sev1": "sev1",
    "sev2": "sev2",
    "sev3": "sev3",
    "s1": "sev1",
    "s2": "sev2",
    "s3": "sev3",
}


def parse(text: str) -> Command:
    """The command ``text`` asks for; UsageError with what to type instead if there is none."""
    first, _, rest = text.strip().partition(" ")
    word = first.lower()
    if not word:
        return Command("declare-modal")
    word = SEVERITY_WORDS.get(word, ALIASES.get(word, word))
    spec = COMMANDS.get(word)
    if spec is None:
        return _unknown(first, rest)
    return spec.parse(word, rest.strip())


def scope(command: Command) -> Scope:
    if command.name == "severity":
        return Scope.INCIDENT
    if command.name in ("declare", "declare-modal"):
        return Scope.ANYWHERE
    return COMMANDS[command.name].scope
