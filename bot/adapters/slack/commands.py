"""What people type after ``/incident``, parsed: text in, a typed Command or a UsageError out.

Which word runs which parser is declared in ``bot.adapters.slack.verbs``; the parsers here name
the verb and its example (``Syntax``) in the usage errors they raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.adapters.slack import mrkdwn
from bot.adapters.slack.mrkdwn import escape, truncate
from bot.core import bidi, durations
from bot.core.model import Severity

TITLE_LIMIT = 200
STORED_TITLE_LIMIT = 2000  # the record's column (0020), for a title in Slack's markup (&amp;)
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_NUMBER = re.compile(r"#?([1-9][0-9]{0,8})")


@dataclass(frozen=True)
class Command:
    """A parsed command; ``name`` is the verb that runs it, on incident number ``incident``
    when it was typed with one (``/incident 12 resolve``), else on the channel's incident."""

    name: str
    severity: Severity | None = None
    text: str = ""
    user: str | None = None
    words: tuple[str, ...] = ()
    incident: int | None = None


class UsageError(ValueError):
    """A command that cannot be understood; the message says what to type instead."""


class Syntax(Protocol):
    """What a parser knows of its verb: its name and an example to show in usage errors."""

    @property
    def name(self) -> str: ...

    @property
    def example(self) -> str: ...


def no_arguments(verb: Syntax, rest: str) -> Command:
    if rest:
        raise UsageError(
            f"`/incident {verb.name}` takes nothing after it; type `/incident {verb.name}`"
        )
    return Command(verb.name)


def any_text(verb: Syntax, rest: str) -> Command:
    return Command(verb.name, text=rest)


def declare(verb: Syntax, rest: str) -> Command:
    """``sev1 <title>`` declares; ``sev1`` alone proposes the severity (the verb ``severity``)."""
    severity = Severity(verb.name)
    title = " ".join(rest.split())  # shortened, visibly, when declared (``shortened``)
    return Command(verb.name if title else "severity", severity=severity, text=title)


def shortened(title: str, limit: int = TITLE_LIMIT, stored: int = STORED_TITLE_LIMIT) -> str:
    """``title`` (Slack's markup) within ``limit`` characters as typed (``typed_length``) and
    ``stored`` as the record keeps it: whole, or cut after its last whole word that fits, with
    "…" (a single word too long is cut where it must be, never inside an entity or a token)."""
    if typed_length(title) <= limit and len(title) <= stored:
        return title
    kept: list[str] = []
    typed = kept_length = 0
    for unit in mrkdwn.units(title):
        typed += mrkdwn.typed_length(unit)
        kept_length += len(unit)
        if typed > limit - 1 or kept_length > stored - 1:
            if unit != " " and " " in kept:
                del kept[len(kept) - kept[::-1].index(" ") - 1 :]
            break
        kept.append(unit)
    return bidi.cut_closed("".join(kept).rstrip()) + "…"


def typed_length(text: str) -> int:
    """How many characters ``text`` (Slack's markup) was as typed: ``&amp;`` is one."""
    return mrkdwn.typed_length(text)


def mention(word: str, usage: str) -> str:
    """The user id ``word`` mentions (``<@U123|bob>``); UsageError showing ``usage`` else."""
    match = _USER.match(word)
    if match is None:
        raise UsageError(
            f"`{escape(truncate(word, 40))}` is not a mention of a person: "
            f"type `{usage}`, choosing the "
            "person from Slack's @ menu"
        )
    return match.group(1)


def commander(verb: Syntax, rest: str) -> Command:
    words = rest.split()
    usage = f"/incident {verb.example}"
    if len(words) != 1:
        raise UsageError(f"name one person: `{usage}`")
    return Command(verb.name, user=mention(words[0], usage))


def name(word: str) -> str:
    """A name typed (a service, a role), lower-cased, with the dashes phones and macOS type
    in place of a hyphen (en and em dashes) taken for one."""
    return word.translate(_DASHES).lower()


_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def role(verb: Syntax, rest: str) -> Command:
    words = rest.split()
    usage = f"/incident {verb.example}"
    if len(words) != 2 or not re.fullmatch(r"[a-z][a-z0-9_-]{0,29}", name(words[0])):
        raise UsageError(f"give a role and a person: `{usage}`")
    return Command(verb.name, text=name(words[0]), user=mention(words[1], usage))


def names(verb: Syntax, rest: str) -> Command:
    words = tuple(dict.fromkeys(name(w.strip(",")) for w in rest.replace(",", " ").split()))
    if not words:
        raise UsageError(f"name the affected services: `/incident {verb.example}`")
    return Command(verb.name, words=words)


def text(verb: Syntax, rest: str) -> Command:
    if not rest.strip():
        raise UsageError(f"say what to record: `/incident {verb.example}`")
    return Command(verb.name, text=rest.strip())


def deploy(verb: Syntax, rest: str) -> Command:
    words = rest.split()
    if len(words) != 2:
        raise UsageError(f"name the service and the version: `/incident {verb.example}`")
    return Command(verb.name, words=(name(words[0]), words[1][:200]))


def deploys(verb: Syntax, rest: str) -> Command:
    words = rest.split()
    if len(words) > 1:
        raise UsageError(f"name at most one service: `/incident {verb.example}`")
    return Command(verb.name, words=tuple(name(w) for w in words))


def stats(verb: Syntax, rest: str) -> Command:
    """``stats`` or ``stats 7d``: the period the summary covers (default 30 days)."""
    try:
        since = durations.parse(rest or "30d")
    except durations.DurationError:
        raise UsageError(f"say how far back, like `/incident {verb.example}`") from None
    if since > timedelta(days=3660):
        raise UsageError(f"ten years at most, like `/incident {verb.example}`")
    return Command(verb.name, text=durations.compact(since))


def postmortem(verb: Syntax, rest: str) -> Command:
    words = rest.split()
    if not words:
        return Command(verb.name)
    # Slack sends a typed URL as a link, <https://…> (or <https://…|label>)
    link = re.fullmatch(r"<?(https?://[^\s|<>]+)(?:\|[^>]*)?>?", words[-1]) if words else None
    if len(words) == 2 and words[0].lower() == "done" and link:
        return Command(verb.name, text=link.group(1)[:1000])
    raise UsageError(
        f"type `/incident {verb.name}` for the draft, or `/incident {verb.example}` "
        "once it is published"
    )


def declaration_form(verb: Syntax, rest: str) -> Command:
    if rest:
        raise UsageError(
            f"`/incident {verb.name}` opens the form and takes nothing after it; to "
            "declare at once, type `/incident sev1 checkout is returning 500s`"
        )
    return Command(verb.name)


def incident_number(word: str) -> int | None:
    """The incident a command's first word names (``12`` or ``#12``), if it is a number."""
    match = _NUMBER.fullmatch(word)
    return int(match.group(1)) if match else None


def not_about_one(number: int, verb: Syntax) -> UsageError:
    """``/incident 12 list``: a verb that does not work on one incident, given a number."""
    if verb.name in {str(level) for level in Severity}:
        return UsageError(
            f"`/incident {number} {verb.name}` takes no title: to change incident {number}'s "
            f"severity, type `/incident {number} {verb.name}` alone; to declare a new incident, "
            f"`/incident {verb.example}`"
        )
    return UsageError(
        f"`/incident {verb.name}` is not about one incident, so it takes no number: "
        f"type `/incident {verb.example}`"
    )


def unknown(word: str) -> UsageError:
    return UsageError(
        f"`{escape(truncate(word, 40))}` is not an /incident command; "
        "type `/incident help` for the list"
    )


def handed_on(verb: Syntax, rest: str) -> Command:
    """The parser of a verb without a word of its own: another verb's parser makes its commands."""
    raise unknown(verb.name)
