"""The declaration modal: its view, and reading a submission back into typed fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    DateTimePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.adapters.slack import mrkdwn
from bot.adapters.slack.commands import TITLE_LIMIT, shortened
from bot.core.model import Severity
from bot.playbooks.schema import Catalog

DECLARE = "incident.declare"
_SEVERITY_TEXT = {
    Severity.SEV1: "Sev1: site down, data-loss risk",
    Severity.SEV2: "Sev2: degraded, partial outage",
    Severity.SEV3: "Sev3: minor, workaround exists",
}


def declaration(catalog: Catalog, reply_channel: str) -> dict[str, Any]:
    """The form ``/incident`` and ``/incident declare`` open."""
    inputs = [
        InputBlock(
            block_id="title",
            label="What is broken?",
            element=PlainTextInputElement(
                action_id="value", max_length=TITLE_LIMIT, placeholder="checkout is returning 500s"
            ),
        ),
        InputBlock(
            block_id="severity",
            label="Severity",
            element=StaticSelectElement(
                action_id="value",
                options=[Option(value=str(s), text=text) for s, text in _SEVERITY_TEXT.items()],
            ),
        ),
    ]
    if catalog.services:
        inputs.append(
            InputBlock(
                block_id="services",
                label="Affected services",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="value",
                    options=[
                        Option(value=s.name, text=f"{s.name} ({s.team})"[:75])
                        for s in catalog.services[:100]
                    ],
                ),
            )
        )
    inputs += [
        InputBlock(
            block_id="started",
            label="When did it start? (empty: now)",
            optional=True,
            element=DateTimePickerElement(action_id="value"),
        ),
        InputBlock(
            block_id="description",
            label="Description",
            optional=True,
            element=PlainTextInputElement(action_id="value", multiline=True, max_length=3000),
        ),
    ]
    view = View(
        type="modal",
        callback_id=DECLARE,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=reply_channel,
        blocks=inputs,
    )
    return view.to_dict()


# How long before the declaration a form may say the incident started: a start older than
# this is a mistaken pick (a year, a month) that would skew every time from the start.
EARLIEST_START = timedelta(days=7)


@dataclass
class DeclarationForm:
    title: str = ""  # within what the record's title holds (``commands.shortened``)
    whole_title: str = ""  # as typed, in the chat's markup
    severity: Severity | None = None
    services: tuple[str, ...] = ()
    started_at: datetime | None = None
    description: str = ""
    reply_channel: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _value(state: dict[str, Any], block: str) -> dict[str, Any]:
    return dict(state.get(block, {}).get("value", {}))


def read_declaration(view: dict[str, Any], now: datetime) -> DeclarationForm:
    """The submitted form; ``errors`` maps block ids to what to fix, as Slack shows them."""
    state = view.get("state", {}).get("values", {})
    form = DeclarationForm(reply_channel=str(view.get("private_metadata", "")))
    # A form's text comes as typed, not in Slack's markup as a command's does: made so here,
    # so every text in the record is in the chat's markup.
    typed = " ".join(str(_value(state, "title").get("value") or "").split())
    # escaped, it may be longer than typed (& is &amp;): within what the record holds
    form.whole_title = mrkdwn.inert(typed)
    form.title = shortened(form.whole_title)
    if not form.title:
        form.errors["title"] = "Say in a few words what is broken."
    selected = (_value(state, "severity").get("selected_option") or {}).get("value")
    if selected in {str(s) for s in Severity}:
        form.severity = Severity(selected)
    else:
        form.errors["severity"] = "Choose a severity."
    form.services = tuple(
        o["value"] for o in _value(state, "services").get("selected_options") or []
    )
    picked = _value(state, "started").get("selected_date_time")
    if picked is not None:
        form.started_at = datetime.fromtimestamp(int(picked), UTC)
        if form.started_at > now:
            form.errors["started"] = "That is in the future; leave it empty if it started now."
        elif form.started_at < now - EARLIEST_START:
            days = EARLIEST_START.days
            form.errors["started"] = (
                f"That is more than {days} days ago: pick a time within the last {days} days "
                "(for an older problem, the time it came back, its story in the description), "
                "or leave it empty if it started now."
            )
    form.description = mrkdwn.inert(str(_value(state, "description").get("value") or "").strip())
    return form
