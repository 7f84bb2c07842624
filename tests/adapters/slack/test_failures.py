"""When the database is down, people hear it, and nothing is half-written."""

from __future__ import annotations

from bot.adapters.db import engine as engines
from bot.adapters.db.unit_of_work import units_of_work
from tests.adapters.slack.conftest import BotClient


def test_database_unreachable_gets_an_ephemeral_error_and_no_slack_side_effects(
    bot: BotClient,
) -> None:
    service = bot.runtime.service
    healthy = service.units
    unreachable = engines.connect(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    service.units = units_of_work(engines.sessions(unreachable))
    try:
        reply = bot.reply(bot.command("sev1 everything is down"))
    finally:
        service.units = healthy
        unreachable.dispose()
    assert "database is unreachable, so nothing was recorded" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert bot.slack.calls_to("conversations.create") == []
    with healthy() as uow:
        assert uow.incidents.open() == []
