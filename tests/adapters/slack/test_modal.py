"""The declaration modal: opened by `/incident`, validated on submit, declared after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.db.incidents import Incidents
from tests.adapters.slack.conftest import GENERAL, BotClient, assert_valid_block_kit, text_of


def submission(
    title: str,
    severity: str | None,
    *,
    services: tuple[str, ...] = (),
    started: datetime | None = None,
    view_id: str = "V0001",
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": severity} if severity else None,
            }
        },
        "services": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": s} for s in services],
            }
        },
        "started": {
            "value": {
                "type": "datetimepicker",
                "selected_date_time": int(started.timestamp()) if started else None,
            }
        },
        "description": {"value": {"type": "plain_text_input", "value": "carts fail at pay"}},
    }
    return {
        "type": "view_submission",
        "user": {"id": "U0ALICE"},
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "incident.declare",
            "private_metadata": GENERAL,
            "state": {"values": values},
        },
    }


def test_plain_incident_opens_the_form_with_the_catalogs_services(bot: BotClient) -> None:
    bot.command("")
    [opened] = bot.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-1"
    form = text_of(opened.view)
    assert "checkout (Payments)" in form
    assert "Declare an incident" in form
    assert_valid_block_kit(bot.slack)


def test_submitting_declares_with_services_and_start_time(bot: BotClient) -> None:
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    sent = bot.interact(
        submission("carts failing", "sev2", services=("checkout",), started=started)
    )
    assert sent.status == 200
    assert sent.body in (b"", b"{}")  # closes the modal
    [notice] = bot.slack.wait_for("chat.postEphemeral")
    assert "Sev2 incident 1: carts failing is declared in" in notice.params["text"]
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert stored.incident.services == ("checkout",)
    assert stored.incident.started_at == started
    assert stored.description == "carts fail at pay"


def test_a_future_start_or_missing_severity_is_shown_on_the_form(bot: BotClient) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    answer = bot.interact(submission("x", None, started=future)).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"severity", "started"}
    assert "in the future" in answer["errors"]["started"]
    with bot.runtime.sessions() as session:
        assert Incidents(session).open() == []


@pytest.mark.parametrize("days", [8, 365 * 56], ids=["8 days", "1970"])
def test_a_start_long_before_now_is_refused_on_the_form_saying_what_to_pick(
    bot: BotClient, days: int
) -> None:
    answer = bot.interact(
        submission("x", "sev2", started=datetime.now(UTC) - timedelta(days=days))
    ).json()
    assert answer["response_action"] == "errors"
    assert "pick a time within the last 7 days" in answer["errors"]["started"]
    with bot.runtime.sessions() as session:
        assert Incidents(session).open() == []


def test_a_start_within_the_last_days_is_taken(bot: BotClient) -> None:
    started = datetime.now(UTC) - timedelta(days=6)
    assert bot.interact(submission("x", "sev2", started=started)).status == 200
    assert bot.runtime.work.wait_idle()
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert stored.incident.started_at.timestamp() == int(started.timestamp())
