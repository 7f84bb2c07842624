"""Modals filled in a terminal: each answer becomes the state value Slack would send."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.slack import modals, updates
from bot.core.durations import parse
from bot.entrypoints.sandbox import forms
from bot.playbooks import loader
from tests.entrypoints.sandbox.support import ROOT


def update_form() -> dict[str, object]:
    return updates.modal(7, [parse("15m"), parse("30m"), parse("1h")])


def test_the_status_update_modal_becomes_fields_in_order() -> None:
    fields = forms.fields(update_form())
    assert [f.block_id for f in fields] == ["impact", "affected", "action", "next", "custom"]
    assert [f.optional for f in fields] == [False, False, False, False, True]
    assert fields[3].prompt() == "Next update in ([1] 15 minutes  [2] 30 minutes  [3] 1 hour)"
    assert forms.unsupported(update_form()) == []


def test_answers_round_trip_through_the_bots_own_reader() -> None:
    view = update_form()
    fields = forms.fields(view)
    answers = ["payments fail", "10%", "rolling back", "2", ""]
    values = {
        f.block_id: {f.action_id: f.answer(a, UTC)} for f, a in zip(fields, answers, strict=True)
    }
    incident_id, form = updates.read_modal({**view, "state": {"values": values}})
    assert incident_id == 7
    assert not form.errors
    assert form.next_update == parse("30m")


def test_a_choice_can_be_given_by_its_text_too() -> None:
    choice = forms.fields(update_form())[3]
    assert choice.answer("1 hour", UTC)["selected_option"]["value"] == "1h"


@pytest.mark.parametrize(
    ("answer", "says"),
    [("", "is required"), ("4", "not one of the choices"), ("soon", "not one of the choices")],
)
def test_wrong_answers_say_what_fits(answer: str, says: str) -> None:
    with pytest.raises(forms.BadAnswer, match=says):
        forms.fields(update_form())[3].answer(answer, UTC)


def test_the_declaration_modal_multi_select_and_time_picker() -> None:
    catalog = loader.load(ROOT / "playbooks").catalog
    fields = {f.block_id: f for f in forms.fields(modals.declaration(catalog, "C0GENERAL"))}
    services = fields["services"].answer("1, search", UTC)["selected_options"]
    assert [o["value"] for o in services] == ["checkout", "search"]
    paris = ZoneInfo("Europe/Paris")
    started = fields["started"].answer("2026-07-01 09:30", paris)["selected_date_time"]
    assert started == int(datetime(2026, 7, 1, 7, 30, tzinfo=UTC).timestamp())
    with pytest.raises(forms.BadAnswer, match="is not a date and time"):
        fields["started"].answer("half past nine", UTC)
    assert fields["started"].answer("", UTC) == {
        "type": "datetimepicker",
        "selected_date_time": None,
    }
