"""At INFO an incident's life reads in the log (issue 17): one line per timeline event once it
is committed, with the incident's id, the event's kind, its sequence number and who acted, and
none of the free text people typed (titles, follow-ups, reasons may hold secrets)."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.db.incidents import Incidents
from bot.core.model import EventKind
from tests.adapters.slack.conftest import BotClient

TYPED = "hunter2-leaked-password"  # typed by people: never in a log line


def committed(bot: BotClient, incident_id: int = 1) -> list[tuple[int, str]]:
    """(seq, kind) of the incident's timeline as stored."""
    with bot.runtime.sessions() as session:
        return [(e.seq, e.kind.value) for e in Incidents(session).timeline.events(incident_id)]


def test_each_committed_event_of_an_incident_is_one_info_line_without_typed_text(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        bot.reply(bot.command(f"sev1 checkout is down {TYPED}"))
        assert bot.runtime.work.wait_idle()
        channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
        bot.command("ic <@U0BOB|bob>", channel=channel)
        bot.command(f"follow-up rotate {TYPED}", channel=channel)
        assert bot.runtime.work.wait_idle()
        bot.command("follow-up 1 done", channel=channel)
        bot.reply(bot.command("#1 mitigated"))
        bot.reply(bot.command("#1 resolve"))
        bot.reply(bot.command("1 close"))
        assert bot.runtime.work.wait_idle()
    lines = [r for r in caplog.records if r.getMessage().startswith("incident event: ")]
    told = [(r.__dict__["seq"], r.__dict__["event"]) for r in lines if "seq" in r.__dict__]
    assert told == committed(bot)
    kinds = [kind for _, kind in told]
    for kind in (
        EventKind.DECLARED,
        EventKind.COMMANDER_ASSIGNED,
        EventKind.FOLLOW_UP_ADDED,
        EventKind.FOLLOW_UP_DONE,
        EventKind.MITIGATED,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    ):
        assert kind.value in kinds
    declared = lines[0]
    assert declared.levelno == logging.INFO
    assert declared.getMessage() == "incident event: declared"
    assert (declared.__dict__["incident_id"], declared.__dict__["actor"]) == (1, "U0ALICE")
    assert declared.__dict__["severity"] == "sev1"
    for record in caplog.records:
        assert TYPED not in record.getMessage()
        assert all(TYPED not in str(value) for value in record.__dict__.values())
