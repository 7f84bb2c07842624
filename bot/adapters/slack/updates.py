"""Status updates: the modal, reading it back, and the one-line form, into typed parts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from markupsafe import Markup
from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.adapters.slack import mrkdwn, numbers
from bot.adapters.templates import Templates
from bot.core import durations

CALLBACK = "incident.status_update"
_USERS = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)\s*(users?|customers?|people)?", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%(?:\s*of\s*traffic)?", re.IGNORECASE)
_FIELD = re.compile(r"([A-Za-z_]+)=")
# A value's opening quote and the quotes that may close it, the matching one first: phones and
# macOS type curly quotes, and a value typed half on each (impact="x”) closes as well.
_DOUBLE, _SINGLE = ('"', "\u201d", "\u201c"), ("'", "\u2019", "\u2018")
QUOTES = {
    '"': _DOUBLE,
    "\u201c": ("\u201d", '"', "\u201c"),  # “…”
    "\u201d": ("\u201d", '"', "\u201c"),  # ”…”
    "\u201e": ("\u201c", "\u201d", '"'),  # „…“
    "'": _SINGLE,
    "\u2018": ("\u2019", "'", "\u2018"),  # single curly
    "\u00ab": ("\u00bb",),  # «…»
    "\u300c": ("\u300d",),  # 「…」
}
UNREADABLE = (
    "This form is not one I can read: close it and type `/incident update` in the incident's "
    "channel."
)
USAGE = '/incident update impact="checkout errors" affected=5% action="rolling back" next=30m'
MOST_USERS = 10**12  # more than anyone's users: a typo, not a count
AFFECTED = (
    "a share of traffic between 0 and 100% (like 5%) or a whole number of users up to "
    "1,000,000,000,000 (like 1200)"
)


# The sections a status update's sentence may take, so that it fits a message whole with its
# header (a title, an author: one section at most) in mrkdwn.NOTICE_SECTIONS; past them its free
# text is shortened, saying so (the record keeps what was typed).
SENTENCE_SECTIONS = mrkdwn.NOTICE_SECTIONS - 1
SHORTENED = (
    "_Shortened here: the whole update is kept in the incident's record and its post-mortem draft._"
)


@dataclass
class UpdateForm:
    impact: str = ""
    affected: str = ""
    action: str = ""
    next_update: timedelta | None = None
    errors: dict[str, str] = field(default_factory=dict)


def affected(text: str) -> str | None:
    """``5%`` → ``5% of traffic``; ``1200`` or ``1,200 users`` → ``1,200 users``; None for
    anything else, a share over 100% or a part of a user among them."""
    text = text.strip()
    if match := _PERCENT.fullmatch(text):
        share = _ascii_digits(match.group(1))
        return f"{share}% of traffic" if float(share) <= 100 else None
    if match := _USERS.fullmatch(text):
        digits = match.group(1).replace(",", "")
        if len(digits.lstrip("0")) > len(str(MOST_USERS)) or int(digits) > MOST_USERS:
            return None
        count = int(digits)
        return f"{count:,} user" + ("" if count == 1 else "s")
    return None


def _ascii_digits(number: str) -> str:
    """``number`` written in any script's digits (Arabic-Indic, full-width), in ASCII ones."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in number)


def verb(affected: str) -> str:
    """``are``, as the protocol's sentence says it ("5% of traffic are affected"), but for
    one user: "1 user is affected"."""
    return "is" if affected == "1 user" else "are"


@dataclass(frozen=True)
class Promises:
    """The shortest and the longest time to the next update the playbook allows."""

    shortest: timedelta
    longest: timedelta

    @classmethod
    def of(cls, choices: list[timedelta]) -> Promises:
        """Between the playbook's choices; without any (no status update rule), a day."""
        return cls(min(choices), max(choices)) if choices else UNBOUND

    def problem(self, promised: timedelta, in_form: bool = False) -> str | None:
        """What to promise instead of ``promised``, if it is out of bounds: in the form's
        terms (a choice, or a time in its box) or the command's (``next=1h``)."""
        if self.shortest <= promised <= self.longest:
            return None
        example = durations.compact(self.longest)
        how = f": pick one of the choices or type a time like {example}"
        return (
            f"Promise the next update between {durations.say(self.shortest)} and "
            f"{durations.say(self.longest)}{how if in_form else f', like next={example}'}."
        )


ANY_SOON = timedelta(minutes=30)  # the form's choice for a severity without a status update rule
UNBOUND = Promises(timedelta(minutes=1), timedelta(days=1))


def _check(
    form: UpdateForm, next_text: str, promises: Promises, in_form: bool = False
) -> UpdateForm:
    """``form`` with its values checked, ``errors`` saying what to give instead (in the
    form's terms if ``in_form``, else the command's)."""
    for name in ("impact", "action"):
        if not getattr(form, name):
            form.errors[name] = f"Say the {name}."
    normalised = affected(form.affected)
    if normalised is None:
        form.errors["affected"] = f"Say {AFFECTED}."
    else:
        form.affected = normalised
    try:
        form.next_update = durations.parse(next_text)
    except durations.DurationError:
        form.errors["next"] = f"When is the next update? {durations.EXAMPLE}."
        return form
    if wrong := promises.problem(form.next_update, in_form):
        form.errors["next"] = wrong
    return form


def fields(text: str) -> dict[str, str]:
    """``name=value`` pairs; a value with spaces is quoted, straight or curly. Raises
    ValueError naming what is wrong (an unclosed quote, a word that is not ``name=``)."""
    found: dict[str, str] = {}
    rest = text.strip()
    while rest:
        named = _FIELD.match(rest)
        if named is None:
            word = rest.split()[0]
            raise ValueError(f"`{word}` is not a field: write name=value")
        rest = rest[named.end() :]
        closings = QUOTES.get(rest[:1])
        if closings is None:
            value = rest.split(maxsplit=1)[0] if rest[:1].strip() else ""
            rest = rest[len(value) :]
        else:
            end = _closing_at(rest, closings)
            if end < 0:
                raise ValueError(f"the quote of {named.group(1)}= is never closed")
            value, rest = rest[1:end], rest[end + 1 :]
        found[named.group(1).lower()] = value
        rest = rest.lstrip()
    return found


def _closing_at(rest: str, closings: tuple[str, ...]) -> int:
    """Where the quote opening ``rest`` closes: the first of ``closings`` that ends a word and
    is followed by the next field (``name=``) or the end of the line; without one, the first
    matching quote (``closings[0]``) that ends a word; -1 if none does."""
    ends = sorted(
        at
        for closing in closings
        for at in _word_ends(rest, closing)
        if not rest[at + 1 :].strip() or _FIELD.match(rest[at + 1 :].lstrip())
    )
    return ends[0] if ends else next(iter(_word_ends(rest, closings[0])), -1)


def _word_ends(rest: str, closing: str) -> Iterator[int]:
    """Where ``closing`` ends a word in ``rest`` (past its opening quote)."""
    at = 0
    while (at := rest.find(closing, at + 1)) > 0:
        if at + 1 == len(rest) or rest[at + 1].isspace():
            yield at


def parse_line(text: str, promises: Promises) -> UpdateForm:
    """The one-line form: ``impact="..." affected=5% action="..." next=30m``."""
    try:
        fields_typed = fields(text)
    except ValueError as error:
        return UpdateForm(errors={"line": f"{error}: quote text with spaces, like {USAGE}"})
    unknown = sorted(set(fields_typed) - {"impact", "affected", "action", "next"})
    form = UpdateForm(
        impact=fields_typed.get("impact", "").strip(),
        affected=fields_typed.get("affected", ""),
        action=fields_typed.get("action", "").strip(),
    )
    if unknown:
        form.errors["line"] = f"unknown field(s): {', '.join(unknown)}"
    return _check(form, fields_typed.get("next", ""), promises)


def modal(incident_id: int, choices: list[timedelta]) -> dict[str, Any]:
    """The status update form, offering ``choices`` (the playbook's; none: 30 minutes)."""
    promises = Promises.of(choices)
    offered = choices or [ANY_SOON]
    options = [Option(value=durations.compact(c), text=durations.humanize(c)) for c in offered]
    view = View(
        type="modal",
        callback_id=CALLBACK,
        title="Status update",
        submit="Post update",
        close="Cancel",
        # the incident, and the promises the playbook allows, checked when it comes back
        private_metadata=" ".join(
            [str(incident_id), *map(durations.compact, (promises.shortest, promises.longest))]
        ),
        blocks=[
            InputBlock(
                block_id="impact",
                label="We are aware of…",
                element=PlainTextInputElement(
                    action_id="value", max_length=500, placeholder="errors at checkout"
                ),
            ),
            InputBlock(
                block_id="affected",
                label="How many are affected?",
                element=PlainTextInputElement(
                    action_id="value", max_length=50, placeholder="5% or 1200 users"
                ),
            ),
            InputBlock(
                block_id="action",
                label="We are…",
                element=PlainTextInputElement(
                    action_id="value", max_length=500, placeholder="rolling back the last deploy"
                ),
            ),
            InputBlock(
                block_id="next",
                label="Next update in",
                element=StaticSelectElement(
                    action_id="value",
                    options=options,
                    initial_option=options[min(1, len(options) - 1)],
                ),
            ),
            InputBlock(
                block_id="custom",
                label="…or another time (like 45m)",
                optional=True,
                element=PlainTextInputElement(action_id="value", max_length=10),
            ),
        ],
    )
    return view.to_dict()


def read_modal(view: dict[str, Any]) -> tuple[int, UpdateForm]:
    state = view.get("state", {}).get("values", {})

    def value(block: str) -> str:
        element = state.get(block, {}).get("value", {})
        chosen = element.get("selected_option") or {}
        return str(element.get("value") or chosen.get("value") or "").strip()

    incident, *promised = str(view.get("private_metadata") or "").split() or ["-"]
    try:
        promises = Promises(*map(durations.parse, promised))
    except (TypeError, durations.DurationError):  # a form posted before promises travelled
        promises = UNBOUND
    form = UpdateForm(  # as typed: in Slack's markup, as a command's text comes
        impact=mrkdwn.inert(value("impact")),
        affected=value("affected"),
        action=mrkdwn.inert(value("action")),
    )
    form = _check(form, value("custom") or value("next"), promises, in_form=True)
    if "next" in form.errors and value("custom"):
        form.errors["custom"] = form.errors.pop("next")
    try:
        return numbers.whole(incident), form
    except ValueError:  # not a form we opened (its incident travels in its metadata)
        form.errors["impact"] = UNREADABLE
        return 0, form


def sentence(templates: Templates, form: UpdateForm) -> str:
    """The protocol's sentence for a checked ``form`` (mrkdwn), as messages show it: whole when
    it fits ``SENTENCE_SECTIONS`` sections, else with its longer free text (impact or action)
    shortened ("…") until it does, and a line after it saying where the whole is kept; the
    sentence's own words are never cut."""
    assert form.next_update is not None
    next_update = form.next_update

    typed = {"impact": form.impact, "action": form.action}

    def render(shown: dict[str, str]) -> str:
        said = said_as(templates, shown["impact"], form.affected, shown["action"], next_update)
        return said if shown == typed else f"{said}\n{SHORTENED}"

    whole = protocol_words(templates)
    return mrkdwn.fitted(
        typed, render, lambda said: _fits(said, whole), mrkdwn.SECTION_LIMIT * SENTENCE_SECTIONS
    )


def said_as(
    templates: Templates, impact: str, affected: str, action: str, next_update: timedelta
) -> str:
    """The protocol's sentence of these parts (mrkdwn), whole: as the record has it."""
    return templates.render(
        "status_update.md.j2",
        impact=impact,
        affected=affected,
        affected_verb=verb(affected),
        action=action,
        next_update=next_update,
    )


_SOME_DAYS = timedelta(days=97, minutes=13)  # a time no one promises: found in the rendering


def protocol_words(templates: Templates) -> re.Pattern[str]:
    """The status update sentence's own words, between its free text (impact, action), as a
    pattern ``mrkdwn.pieces`` never splits between sections: ``". 5% of traffic are affected.
    We are "``, ``". Next update in 30 minutes."`` (any share, count or time)."""
    said = templates.render(
        "status_update.md.j2",
        impact=Markup("\x00"),
        affected=Markup("\x01"),
        affected_verb=Markup("\x02"),
        action=Markup("\x00"),
        next_update=_SOME_DAYS,
    )
    some = re.escape(durations.say(_SOME_DAYS))
    segments = [
        re.escape(words)
        .replace(some, r"[^\n.]{1,60}?")
        .replace("\x01", r"[^\n]{1,80}?")
        .replace("\x02", r"\w+")
        for words in said.split("\x00")
        if words.strip()
    ]
    return re.compile("|".join(f"(?:{segment})" for segment in segments) or r"(?!)")


def _fits(said: str, whole: re.Pattern[str] | None = None) -> bool:
    return len(mrkdwn.pieces(said, mrkdwn.SECTION_LIMIT, whole)) <= SENTENCE_SECTIONS
