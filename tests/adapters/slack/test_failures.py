"""When the database is down, people hear it, and nothing is half-written."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.adapters.db import engine as engines
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.slack.listeners import DATABASE_LOST_MIDWAY, _guarded
from bot.services.ports import StorageUnavailable
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


def test_a_database_lost_part_way_says_what_may_have_been_recorded(engine: Engine) -> None:
    units = units_of_work(engines.sessions(engine))
    told: list[dict[str, object]] = []

    def work() -> None:
        with units() as uow:  # something is recorded ...
            uow.facts.put("probe", "1", datetime.now(UTC))
            uow.commit()
        raise StorageUnavailable("connection refused")  # ... then the database goes away

    _guarded(work, lambda **reply: told.append(reply))
    assert [reply["text"] for reply in told] == [DATABASE_LOST_MIDWAY]
