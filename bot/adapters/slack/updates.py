"""Status updates: the modal, reading it back, and the one-line form, into typed parts."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core import durations

CALLBACK = "incident.status_update"
_USERS = re.compile(r"(\d[\d,]*)\s*(users?|customers?|people)?", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%(?:\s*of\s*traffic)?", re.IGNORECASE)
USAGE = '/incident update impact="checkout errors" affected=5% action="rolling back" next=30m'


@dataclass
class UpdateForm:
    impact: str = ""
    affected: str = ""
    action: str = ""
    next_update: timedelta | None = None
    errors: dict[str, str] = field(default_factory=dict)


def affected(text: str) -> str | None:
    """``5%`` → ``5% of traffic``; ``1200`` or ``1,200 users`` → ``1,200 users``; else None."""
    text = text.strip()
    if match := _PERCENT.fullmatch(text):
        return f"{match.group(1)}% of traffic"
    if match := _USERS.fullmatch(text):
        count = int(match.group(1).replace(",", ""))
        return f"{count:,} user" + ("" if count == 1 else "s")
    return None


def _check(form: UpdateForm, next_text: str) -> UpdateForm:
    for name in ("impact", "action"):
        if not getattr(form, name):
            form.errors[name] = f"Say the {name}."
    normalised = affected(form.affected)
    if normalised is None:
        form.errors["affected"] = "A number of users (1200 users) or a share of traffic (5%)."
    else:
        form.affected = normalised
    try:
        form.next_update = durations.parse(next_text)
    except durations.DurationError:
        form.errors["next"] = f"When is the next update? {durations.EXAMPLE}."
    return form


def parse_line(text: str) -> UpdateForm:
    """The one-line form: ``impact="..." affected=5% action="..." next=30m``."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        return UpdateForm(errors={"line": f"{error}: quote text with spaces, like {USAGE}"})
    fields = dict(word.partition("=")[::2] for word in words)
    unknown = sorted(set(fields) - {"impact", "affected", "action", "next"})
    form = UpdateForm(
        impact=fields.get("impact", "").strip(),
        affected=fields.get("affected", ""),
        action=fields.get("action", "").strip(),
    )
    if unknown:
        form.errors["line"] = f"unknown field(s): {', '.join(unknown)}"
    return _check(form, fields.get("next", ""))


def modal(incident_id: int, choices: list[timedelta]) -> dict[str, Any]:
    options = [Option(value=durations.compact(c), text=durations.humanize(c)) for c in choices]
    view = View(
        type="modal",
        callback_id=CALLBACK,
        title="Status update",
        submit="Post update",
        close="Cancel",
        private_metadata=str(incident_id),
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

    form = UpdateForm(impact=value("impact"), affected=value("affected"), action=value("action"))
    form = _check(form, value("custom") or value("next"))
    if "next" in form.errors and value("custom"):
        form.errors["custom"] = form.errors.pop("next")
    return int(view.get("private_metadata") or 0), form
