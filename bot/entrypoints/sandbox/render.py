"""The bot's Slack messages as plain terminal text, for the sandbox.

Block Kit blocks, a message's fallback text and Slack mrkdwn become lines a terminal shows as
they are: no ANSI colours, no wrapping, no truncation, and the same input always gives the same
text. ``*bold*``, ``_italic_``, ``~strike~``, code and ``:emoji:`` stay as typed: they read fine.

Mentions, channels and user groups are shown by name (``@alice``, ``#inc-1-checkout``,
``@payments``), dates in the sandbox's timezone, and links as ``label (url)``.

Buttons the user can press are numbered, counting up across a message from ``first_button``;
the user types the number to press one. A button's style is said in words after its label,
so a dangerous button cannot be missed:

    [1] Acknowledge                       a default button
    [2] I'm responding (primary)          style "primary"
    [3] Resolve (danger)                  style "danger"
    Runbook (https://x.example/runbook)   a link button: not numbered, its url shown instead

The buttons of one ``actions`` block share one line, three spaces apart. Select menus, date
pickers, overflow menus and the like are shown as ``[menu: …]`` and are not numbered.

A section's fields are shown one per line, indented by two spaces, their own line breaks turned
into spaces (Slack lays fields out in columns; ``*State*\\nResolved`` reads ``*State* Resolved``).
A context block is one line, indented by two spaces, its elements joined by ``  ·  ``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

Json = dict[str, Any]

DIVIDER = "─" * 40
HEADER_RULE = "═"
HEADER_RULE_MOST = 60
BUTTON_GAP = "   "
CONTEXT_GAP = "  ·  "
INDENT = "  "
MENU_OPTIONS_SHOWN = 3

# One pass over the text: a ``<…>`` control sequence or one of the three escapes Slack uses.
# Handling both at once is what keeps ``&lt;@U1&gt;`` literal text rather than a mention.
_MARKUP = re.compile(r"<([^<>]+)>|&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DATE_TOKEN = re.compile(r"\{(\w+)\}")
_BROADCASTS = frozenset({"here", "channel", "everyone"})

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RELATIVE_DAYS = {-1: "Yesterday", 0: "Today", 1: "Tomorrow"}
_AGO_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


class Names(Protocol):
    """How ids are shown: the sandbox knows its users, channels and user groups."""

    def user(self, user_id: str) -> str: ...

    def channel(self, channel_id: str) -> str: ...

    def group(self, group_id: str) -> str: ...


@dataclass(frozen=True)
class Button:
    number: int
    """What the user types to press it."""
    label: str
    action_id: str
    value: str
    block_id: str
    style: str | None
    """``"primary"``, ``"danger"`` or None."""


@dataclass(frozen=True)
class Rendered:
    lines: list[str]
    buttons: list[Button]


# ---------------------------------------------------------------------------------------------
# mrkdwn


def mrkdwn(text: str, names: Names, tz: ZoneInfo, now: datetime) -> str:
    """Slack mrkdwn as terminal text: mentions by name, dates in ``tz``, links with their url."""

    def replace(match: re.Match[str]) -> str:
        token, entity = match.group(1), match.group(2)
        if entity is not None:
            return _ENTITIES[entity]
        return _control(token, names, tz, now)

    return _MARKUP.sub(replace, text)


def _unescape(text: str) -> str:
    return _MARKUP.sub(lambda m: _ENTITIES[m.group(2)] if m.group(2) else m.group(0), text)


def _control(token: str, names: Names, tz: ZoneInfo, now: datetime) -> str:
    """One ``<…>`` sequence, without its brackets."""
    head, _, label = token.partition("|")
    if head.startswith("@"):
        return "@" + names.user(head[1:])
    if head.startswith("#"):
        return "#" + names.channel(head[1:])
    if head.startswith("!subteam^"):
        return "@" + names.group(head.removeprefix("!subteam^"))
    if head.startswith("!") and head[1:] in _BROADCASTS:
        return head.replace("!", "@", 1)
    if head.startswith("!date^"):
        return _date_control(head, _unescape(label), tz, now)
    if _URL_SCHEME.match(head):
        return _link(_unescape(head), _unescape(label))
    # Not a control sequence Slack knows: show it as it was written.
    return f"<{_unescape(token)}>"


def _link(url: str, label: str) -> str:
    if url.startswith("mailto:"):
        return label or url.removeprefix("mailto:")
    return f"{label} ({url})" if label and label != url else url


def _date_control(head: str, fallback: str, tz: ZoneInfo, now: datetime) -> str:
    """``!date^<unix time>^<format>[^<link>]``; the fallback when the time is unreadable."""
    parts = head.split("^", 3)
    if len(parts) < 3 or not parts[1].isdigit():
        return fallback or f"<{head}>"
    moment = datetime.fromtimestamp(int(parts[1]), tz)
    shown = _format_date(moment, _unescape(parts[2]), tz, now)
    return _link(parts[3], shown) if len(parts) == 4 else shown


# ---------------------------------------------------------------------------------------------
# Dates


def _format_date(moment: datetime, style: str, tz: ZoneInfo, now: datetime) -> str:
    """Fill Slack's ``{date_…}``/``{time…}``/``{ago}`` tokens; unknown tokens stay as written."""
    local = moment.astimezone(tz)
    today = _aware(now).astimezone(tz)
    tokens: dict[str, Callable[[], str]] = {
        "date_num": lambda: f"{local:%Y-%m-%d}",
        "date": lambda: _date(local),
        "date_short": lambda: _date_short(local),
        "date_long": lambda: _date_long(local),
        "date_pretty": lambda: _relative_day(local, today) or _date(local),
        "date_short_pretty": lambda: _relative_day(local, today) or _date_short(local),
        "date_long_pretty": lambda: _relative_day(local, today) or _date_long(local),
        "time": lambda: f"{local:%H:%M}",
        "time_secs": lambda: f"{local:%H:%M:%S}",
        "ago": lambda: _ago(local, today),
    }

    def fill(match: re.Match[str]) -> str:
        render = tokens.get(match.group(1))
        return render() if render else match.group(0)

    return _DATE_TOKEN.sub(fill, style)


def _aware(moment: datetime) -> datetime:
    # The bot's clock is UTC; a naive "now" is taken to be UTC too, never the host's local time.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Month and weekday names are spelled out here: strftime's %B and %A follow the host's locale.
def _date(local: datetime) -> str:
    return f"{_MONTHS[local.month - 1]} {_ordinal(local.day)}, {local.year}"


def _date_short(local: datetime) -> str:
    return f"{_MONTHS[local.month - 1][:3]} {local.day}, {local.year}"


def _date_long(local: datetime) -> str:
    return f"{_WEEKDAYS[local.weekday()]}, {_date(local)}"


def _relative_day(local: datetime, today: datetime) -> str | None:
    return _RELATIVE_DAYS.get((local.date() - today.date()).days)


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    if abs(seconds) < 60:
        return "just now"
    unit, size = next((unit, size) for unit, size in _AGO_UNITS if abs(seconds) >= size)
    count = abs(seconds) // size
    amount = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


# ---------------------------------------------------------------------------------------------
# Messages


@dataclass
class _Renderer:
    """Renders one message: the numbering of its buttons runs across all its blocks."""

    names: Names
    tz: ZoneInfo
    now: datetime
    next_number: int
    buttons: list[Button] = field(default_factory=list)

    def mrkdwn(self, text: str) -> str:
        return mrkdwn(text, self.names, self.tz, self.now)

    def text(self, obj: object) -> str:
        """A text object: mrkdwn is formatted, plain_text is shown as written."""
        if not isinstance(obj, dict):
            return obj if isinstance(obj, str) else ""
        text = _string(obj, "text")
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else text

    def block(self, block: Json) -> list[str]:
        kind = _string(block, "type")
        render = self._BLOCKS.get(kind)
        if render is None:
            return [f"[{kind or 'unknown'} block]"]
        return render(self, block)

    # --- blocks ----------------------------------------------------------------------------------

    def header(self, block: Json) -> list[str]:
        title = self.text(block.get("text"))
        return [*title.split("\n"), HEADER_RULE * min(len(title), HEADER_RULE_MOST)]

    def section(self, block: Json) -> list[str]:
        lines = self.text(block.get("text")).split("\n") if block.get("text") else []
        lines += [INDENT + _one_line(self.text(f)) for f in _list(block, "fields")]
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            lines.append(self.accessory(accessory, _string(block, "block_id")))
        return lines

    def context(self, block: Json) -> list[str]:
        parts = [self.context_element(e) for e in _list(block, "elements")]
        return [INDENT + CONTEXT_GAP.join(_one_line(part) for part in parts)]

    def divider(self, block: Json) -> list[str]:
        return [DIVIDER]

    def actions(self, block: Json) -> list[str]:
        block_id = _string(block, "block_id")
        shown = [self.element(e, block_id) for e in _list(block, "elements")]
        return [BUTTON_GAP.join(shown)]

    def image(self, block: Json) -> list[str]:
        return [_image(block)]

    def form_input(self, block: Json) -> list[str]:
        return [f"{self.text(block.get('label'))}: (input)"]

    def markdown(self, block: Json) -> list[str]:
        return _string(block, "text").split("\n")

    def rich_text(self, block: Json) -> list[str]:
        return [line for element in _list(block, "elements") for line in self.rich_block(element)]

    _BLOCKS: ClassVar[dict[str, Callable[[_Renderer, Json], list[str]]]] = {
        "header": header,
        "section": section,
        "context": context,
        "divider": divider,
        "actions": actions,
        "image": image,
        "input": form_input,
        "markdown": markdown,
        "rich_text": rich_text,
    }

    # --- elements --------------------------------------------------------------------------------

    def accessory(self, element: Json, block_id: str) -> str:
        if element.get("type") == "image":
            return _image(element)
        return self.element(element, block_id)

    def element(self, element: Json, block_id: str) -> str:
        """An interactive element: a numbered button, a link button or a menu."""
        if element.get("type") != "button":
            return self.menu(element)
        label = self.text(element.get("text"))
        url = _string(element, "url")
        if url:
            return f"{label} ({url})"
        return self.button(element, label, block_id)

    def button(self, element: Json, label: str, block_id: str) -> str:
        style = element.get("style") if element.get("style") in ("primary", "danger") else None
        number = self.next_number
        self.next_number += 1
        action_id, value = _string(element, "action_id"), _string(element, "value")
        self.buttons.append(Button(number, label, action_id, value, block_id, style))
        return f"[{number}] {label}" + (f" ({style})" if style else "")

    def menu(self, element: Json) -> str:
        placeholder = self.text(element.get("placeholder"))
        options = [self.text(o.get("text")) for o in _options(element)]
        listed = ", ".join(options[:MENU_OPTIONS_SHOWN])
        if len(options) > MENU_OPTIONS_SHOWN:
            listed += ", …"
        initial = _string(element, "initial_date") or _string(element, "initial_time")
        return f"[menu: {placeholder or listed or initial or _string(element, 'type')}]"

    def context_element(self, element: Json) -> str:
        if element.get("type") == "image":
            return _string(element, "alt_text")
        return self.text(element)

    # --- rich text -------------------------------------------------------------------------------

    def rich_block(self, element: Json) -> list[str]:
        kind = element.get("type")
        if kind == "rich_text_list":
            return self.rich_list(element)
        text = self.rich_inline(_list(element, "elements"))
        if kind == "rich_text_preformatted":
            return ["```", *text.split("\n"), "```"]
        if kind == "rich_text_quote":
            return ["> " + line for line in text.split("\n")]
        return text.split("\n")

    def rich_list(self, element: Json) -> list[str]:
        indent = INDENT * _int(element, "indent")
        ordered = element.get("style") == "ordered"
        items = [self.rich_inline(_list(item, "elements")) for item in _list(element, "elements")]
        return [
            f"{indent}{f'{n}.' if ordered else '•'} {item}"
            for n, item in enumerate(items, start=_int(element, "offset") + 1)
        ]

    def rich_inline(self, elements: Iterable[Json]) -> str:
        return "".join(self.rich_element(e) for e in elements)

    def rich_element(self, element: Json) -> str:
        kind = element.get("type")
        if kind == "text":
            return _styled(_string(element, "text"), element.get("style"))
        if kind == "link":
            return _link(_string(element, "url"), _string(element, "text"))
        if kind == "user":
            return "@" + self.names.user(_string(element, "user_id"))
        if kind == "channel":
            return "#" + self.names.channel(_string(element, "channel_id"))
        if kind == "usergroup":
            return "@" + self.names.group(_string(element, "usergroup_id"))
        if kind == "broadcast":
            return "@" + _string(element, "range")
        if kind == "emoji":
            return f":{_string(element, 'name')}:"
        if kind == "date":
            return self.rich_date(element)
        return _string(element, "text") or _string(element, "value")

    def rich_date(self, element: Json) -> str:
        moment = datetime.fromtimestamp(_int(element, "timestamp"), self.tz)
        return _format_date(moment, _string(element, "format"), self.tz, self.now)


def message(
    blocks: list[dict[str, Any]] | None,
    text: str | None,
    names: Names,
    tz: ZoneInfo,
    now: datetime,
    first_button: int,
) -> Rendered:
    """One message as lines, its pressable buttons numbered from ``first_button``.

    The blocks are what is shown; ``text`` is only the fallback, shown when there are none.
    """
    renderer = _Renderer(names, tz, now, first_button)
    if blocks:
        lines = [line for block in blocks for line in renderer.block(block)]
    else:
        lines = renderer.mrkdwn(text or "").split("\n") if text else []
    return Rendered([line.rstrip() for line in lines], renderer.buttons)


# ---------------------------------------------------------------------------------------------
# Reading JSON without trusting its shape


def _string(obj: Json, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _int(obj: Json, key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) else 0


def _list(obj: Json, key: str) -> list[Json]:
    value = obj.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _options(element: Json) -> list[Json]:
    groups = _list(element, "option_groups")
    return _list(element, "options") + [o for group in groups for o in _list(group, "options")]


def _image(element: Json) -> str:
    return f"[image: {_string(element, 'alt_text')}]"


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


def _styled(text: str, style: object) -> str:
    """Rich text styles as the mrkdwn markers the rest of the output keeps."""
    core = text.strip()
    if not isinstance(style, dict) or not core:
        return text
    # Markers hug the words: Slack splits styled runs at spaces, and "*now *" would read badly.
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if style.get("code"):
        core = f"`{core}`"
    for name, marker in (("bold", "*"), ("italic", "_"), ("strike", "~")):
        if style.get(name):
            core = f"{marker}{core}{marker}"
    return f"{lead}{core}{trail}"
