"""Modals in a terminal: a view's input blocks become fields answered one line at a time.

Each answer is turned into the ``view.state.values`` entry Slack would send for that element, so
the bot reads a sandbox submission exactly as it reads one from Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

Json = dict[str, Any]
SUPPORTED = ("plain_text_input", "static_select", "multi_static_select", "datetimepicker")


class BadAnswer(ValueError):
    """An answer that doesn't fit its field; the message says what to type."""


@dataclass(frozen=True)
class Option:
    label: str
    raw: Json  # the option object as the view gave it, sent back when chosen


@dataclass(frozen=True)
class Field:
    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    options: tuple[Option, ...] = ()
    hint: str = ""

    def prompt(self) -> str:
        """What the user is asked, with the choices numbered."""
        extras = []
        if self.options:
            extras.append("  ".join(f"[{n}] {o.label}" for n, o in enumerate(self.options, 1)))
        if self.kind == "multi_static_select":
            extras.append("several: 1,3")
        if self.kind == "datetimepicker":
            extras.append("YYYY-MM-DD HH:MM")
        if self.optional:
            extras.append("optional: blank skips")
        extra = f" ({'; '.join(extras)})" if extras else ""
        return f"{self.label}{extra}"

    def answer(self, text: str, tz: tzinfo) -> Json:
        """The state value for ``text``; BadAnswer if it doesn't fit."""
        text = text.strip()
        if not text:
            if not self.optional:
                raise BadAnswer(f"{self.label} is required")
            return _empty(self.kind)
        if self.kind == "plain_text_input":
            return {"type": self.kind, "value": text}
        if self.kind == "static_select":
            return {"type": self.kind, "selected_option": self._choose(text).raw}
        if self.kind == "multi_static_select":
            chosen = [self._choose(part.strip()).raw for part in text.split(",") if part.strip()]
            return {"type": self.kind, "selected_options": chosen}
        return {"type": self.kind, "selected_date_time": _timestamp(text, tz)}

    def _choose(self, text: str) -> Option:
        if text.isdigit() and 1 <= int(text) <= len(self.options):
            return self.options[int(text) - 1]
        for option in self.options:
            if option.label.lower() == text.lower() or option.raw.get("value") == text:
                return option
        numbers = f"1 to {len(self.options)}"
        raise BadAnswer(f"`{text}` is not one of the choices: type a number from {numbers}")


def fields(view: Json) -> list[Field]:
    """The fields a user fills in, in order (blocks that are not inputs are only shown)."""
    found = []
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or element.get("type") not in SUPPORTED:
            continue
        found.append(
            Field(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                kind=str(element["type"]),
                label=str((block.get("label") or {}).get("text", "")),
                optional=bool(block.get("optional", False)),
                options=tuple(
                    Option(str(o["text"]["text"]), o) for o in element.get("options") or []
                ),
                hint=str((block.get("hint") or {}).get("text", "")),
            )
        )
    return found


def unsupported(view: Json) -> list[str]:
    """Input elements the sandbox cannot fill (a view built with one needs a new field kind)."""
    return [
        str(block.get("element", {}).get("type"))
        for block in view.get("blocks") or []
        if block.get("type") == "input" and block.get("element", {}).get("type") not in SUPPORTED
    ]


def title(view: Json) -> str:
    return str((view.get("title") or {}).get("text", "Form"))


def _empty(kind: str) -> Json:
    if kind == "plain_text_input":
        return {"type": kind, "value": None}
    if kind == "static_select":
        return {"type": kind, "selected_option": None}
    if kind == "multi_static_select":
        return {"type": kind, "selected_options": []}
    return {"type": kind, "selected_date_time": None}


def _timestamp(text: str, tz: tzinfo) -> int:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise BadAnswer(f"`{text}` is not a date and time: type it as 2026-03-14 02:40") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())
