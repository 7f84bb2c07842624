"""Access control through signed requests: who may declare, and who may steer an incident."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.adapters.db.incidents import Incidents
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import BotClient, on_the_card, running_bot, text_of


@pytest.fixture
def guarded(slack: SlackApiStub, engine: Engine, repo_root: Path) -> Iterator[BotClient]:
    slack.add_usergroup("S0DECLARE", "declarers", ["U0ALICE", "U0BOB"])
    slack.add_usergroup("S0ADMINS", "incident-admins", ["U0PAY1"])
    with running_bot(
        slack,
        engine,
        repo_root,
        incident_declarers_group="S0DECLARE",
        incident_admin_group="S0ADMINS",
    ) as client:
        yield client


def channel_of(bot: BotClient) -> str:
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def state(bot: BotClient) -> str:
    with bot.runtime.sessions() as session:
        return str(Incidents(session).get(1).incident.state)


def test_only_the_declarers_group_may_declare(guarded: BotClient) -> None:
    refused = guarded.reply(guarded.command("sev1 checkout down", user="U0CAROL"))
    assert "Only members of <!subteam^S0DECLARE> may declare incidents" in refused["text"]
    assert refused["response_type"] == "ephemeral"
    assert guarded.slack.calls_to("conversations.create") == []
    done = guarded.reply(guarded.command("sev1 checkout down", user="U0BOB"))
    assert "is declared in" in done["text"]


def test_a_bystander_may_neither_resolve_nor_take_command(guarded: BotClient) -> None:
    guarded.reply(guarded.command("sev1 checkout down"))
    channel = channel_of(guarded)
    refused = guarded.reply(guarded.command("resolve", user="U0DISC", channel=channel))
    assert "may resolve or close this incident" in refused["text"]
    assert "<!subteam^S0ADMINS>" in refused["text"]
    taken = guarded.reply(guarded.command("ic <@U0DISC|disc>", user="U0DISC", channel=channel))
    assert "may take command of this incident. To respond, type `/incident ack`" in taken["text"]
    assert state(guarded) == "investigating"


def test_acknowledging_makes_a_responder_not_an_owner(guarded: BotClient) -> None:
    guarded.reply(guarded.command("sev1 checkout down"))
    channel = channel_of(guarded)
    guarded.command("ack", user="U0DISC", channel=channel)
    guarded.slack.wait_for("chat.update", predicate=on_the_card)
    refused = guarded.reply(guarded.command("resolve", user="U0DISC", channel=channel))
    assert "Only the incident commander, the declarer or members of" in refused["text"]
    assert state(guarded) == "investigating"
    guarded.command("ic <@U0DISC|disc>", user="U0DISC", channel=channel)  # a responder may
    guarded.slack.wait_for("chat.update", count=2, predicate=on_the_card)
    guarded.command("resolve", user="U0DISC", channel=channel)
    guarded.slack.wait_for("chat.update", count=3, predicate=on_the_card)
    assert state(guarded) == "resolved"
    guarded.command("reopen", user="U0PAY1", channel=channel)  # an admin, not a responder
    guarded.slack.wait_for("chat.update", count=4, predicate=on_the_card)
    assert state(guarded) == "investigating"


def test_a_bystanders_severity_click_is_refused(guarded: BotClient) -> None:
    guarded.reply(guarded.command("sev1 checkout down"))
    channel = channel_of(guarded)
    refused = guarded.reply(
        guarded.click("incident.severity", "1:sev3", user="U0CAROL", channel=channel)
    )
    assert "may steer this incident" in text_of(refused)
    with guarded.runtime.sessions() as session:
        assert str(Incidents(session).get(1).incident.severity) == "sev1"


def test_acknowledging_an_ended_incident_is_refused_so_a_bystander_cannot_reopen_it(
    guarded: BotClient,
) -> None:
    guarded.reply(guarded.command("sev2 checkout slow"))
    channel = channel_of(guarded)
    for step, updates in (("resolve", 1), ("close", 2)):
        guarded.command(step, channel=channel)
        guarded.slack.wait_for("chat.update", count=updates, predicate=on_the_card)
    refused = guarded.reply(guarded.command("ack", user="U0DISC", channel=channel))
    assert "The incident is closed: there is nothing to respond to" in refused["text"]
    reopen = guarded.reply(guarded.command("reopen", user="U0DISC", channel=channel))
    assert "may steer this incident" in reopen["text"]
    assert state(guarded) == "closed"


def test_who_may_not_declare_is_told_before_filling_in_the_form(guarded: BotClient) -> None:
    refused = guarded.reply(guarded.command("declare", user="U0CAROL"))
    assert "may declare incidents" in refused["text"]
    assert guarded.slack.calls_to("views.open") == []


def test_the_refusal_to_end_names_whom_to_ask(guarded: BotClient) -> None:
    guarded.reply(guarded.command("sev1 checkout down"))
    channel = channel_of(guarded)
    refused = guarded.reply(guarded.command("resolve", user="U0DISC", channel=channel))
    assert "Ask <@U0ALICE> or a member of <!subteam^S0ADMINS>." in refused["text"]
