"""The status page end to end: the real bot over HTTP, the Slack stand-in and the Statuspage
stand-in, buttons pressed as in Slack (issue 15: declaration offer, open, status update,
resolution restoring the components, the card showing the page incident's state)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.adapters.slack.status_page import CONFIRM_LIMIT, offer_buttons
from bot.adapters.statuspage import Statuspage
from bot.core import status_page
from bot.core.model import EventKind
from bot.core.status_page import PageStatus, Send
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.entrypoints.sandbox.statuspage_api import StatuspageStub
from bot.services.status_page import BUSY_FOR, Offer, PagePost
from tests.adapters.slack.conftest import (
    SHIPPED_PLAYBOOKS,
    BotClient,
    on_the_card,
    running_bot,
    text_of,
)

COMPONENT = "k8m2v4l7q9xw"  # the shipped catalog's `accounts` on the page ("Sign-in")


@pytest.fixture
def page() -> Iterator[StatuspageStub]:
    with StatuspageStub() as stub:
        stub.add_component(COMPONENT, "Sign-in")
        yield stub


@pytest.fixture
def bot(
    slack: SlackApiStub, engine: Engine, repo_root: Path, page: StatuspageStub
) -> Iterator[BotClient]:
    with running_bot(
        slack,
        engine,
        repo_root,
        statuspage_api_url=page.base_url,
        statuspage_page_id=page.page.id,
        statuspage_api_key=page.api_key,
    ) as client:
        yield client


def declare(bot: BotClient, title: str = "sev1 accounts sign-in is failing") -> str:
    bot.reply(bot.command(title))
    assert bot.runtime.work.wait_idle()  # set up: the offer comes after the first actions
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


def offers(bot: BotClient, channel: str, action_id: str) -> list[dict[str, Any]]:
    """The status page buttons posted in ``channel`` with ``action_id``, oldest first."""
    return [
        element
        for call in bot.slack.calls_to("chat.postMessage", lambda c: c.params["channel"] == channel)
        for block in call.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]


def page_entries(bot: BotClient, channel: str) -> list[dict[str, str]]:
    view = bot.runtime.service.in_channel(channel)
    assert view is not None
    return [dict(e.extra) for e in view.events if e.kind is EventKind.STATUS_PAGE_UPDATED]


def test_a_page_incident_from_declaration_to_resolution(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    assert page.requests == []  # offered, never opened by itself (the playbook says offer)
    confirm = offer["confirm"]["text"]["text"]
    assert confirm.startswith("Sign-in: service disruption: We are investigating problems")
    assert "accounts" not in confirm and "U0ALICE" not in confirm  # no internal names

    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))
    [opened] = page.incidents()
    assert opened["name"] == "Sign-in: service disruption"
    assert opened["status"] == "investigating"
    assert page.component_status(COMPONENT) == "major_outage"  # the Sev1 playbook's
    bot.slack.wait_for("chat.update", predicate=on_the_card)
    card = text_of(bot.slack.messages(channel)[0])
    assert "*Status page*\\nInvestigating" in card and opened["shortlink"] in card

    bot.command(
        'update impact="sign-in errors" affected=20% action="failing over" next=30m',
        channel=channel,
    )
    assert bot.runtime.work.wait_idle()
    [update] = offers(bot, channel, "incident.statuspage_update")
    assert "We are aware of sign-in errors, affecting 20%" in update["confirm"]["text"]["text"]
    bot.reply(bot.click(update["action_id"], update["value"], channel=channel))
    [patched] = [r for r in page.requests if r.method == "PATCH"]
    assert patched.body is not None
    assert patched.body["incident"]["body"].startswith("We are aware of sign-in errors")

    bot.command("mitigated", channel=channel)
    bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()
    [resolved] = page.incidents()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert page.component_status(COMPONENT) == "operational"
    sent = [entry["send"] for entry in page_entries(bot, channel)]
    assert sent == ["open", "update", "resolve"]  # each recorded once, as it reached the page
    cards = bot.slack.calls_to("chat.update", on_the_card)
    assert "*Status page*\\nResolved" in text_of(cards[-1].params)


def test_customer_text_in_the_confirmation_is_shown_as_is_and_tidy_where_mentions_were(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))
    impact = "sign-in &amp; &lt;b&gt;login&lt;/b&gt; errors for <@U0BOB|bob> &lt;!here&gt;"
    line = f'update impact="{impact}" affected=20% action="failing *over*" next=15m30s'
    bot.command(line, channel=channel)
    assert bot.runtime.work.wait_idle()
    [update] = offers(bot, channel, "incident.statuspage_update")
    confirm = update["confirm"]["text"]
    assert confirm["type"] == "mrkdwn"
    assert "sign-in &amp; &lt;b&gt;login&lt;/b&gt; errors for, affecting 20%" in confirm["text"]
    assert "Next update in 15 minutes 30 seconds." in confirm["text"]
    bot.reply(bot.click(update["action_id"], update["value"], channel=channel))
    [patched] = [r for r in page.requests if r.method == "PATCH"]
    assert patched.body is not None
    assert patched.body["incident"]["body"].startswith(
        "We are aware of sign-in & <b>login</b> errors for, affecting 20% of traffic."
    )


def test_a_long_customer_text_is_shortened_in_the_confirmation_between_entities() -> None:
    post = PagePost("Sign-in", PageStatus.MONITORING, "a & b " * 100, {}, "incident-1")
    [button] = offer_buttons(Offer(1, Send.UPDATE, 2), post)["elements"]
    said = button["confirm"]["text"]["text"]
    assert len(said) <= CONFIRM_LIMIT and said.endswith("&amp; b…")


def test_two_presses_open_one_page_incident(bot: BotClient, page: StatuspageStub) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    first = bot.click(offer["action_id"], offer["value"], channel=channel)
    second = bot.click(offer["action_id"], offer["value"], channel=channel)  # a double click
    bot.reply(first)
    answer = text_of(bot.reply(second))
    assert len(page.incidents()) == 1
    assert [e["send"] for e in page_entries(bot, channel)] == ["open"]
    assert "already" in answer or "right now" in answer or "sent it" in answer


def test_a_failing_page_is_told_to_whoever_pressed_and_nothing_is_recorded(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    page.fail_next(503)
    told = text_of(bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel)))
    assert "nothing is recorded as sent" in told and "HTTP 503" in told
    assert "Statuspage is failing" in told
    assert page_entries(bot, channel) == []
    assert page.incidents() == []

    page.fail_next(401)
    told = text_of(bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel)))
    assert "refused the API key" in told and "STATUSPAGE_API_KEY" in told
    assert page_entries(bot, channel) == []

    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))  # it is back
    assert len(page.incidents()) == 1
    assert [e["send"] for e in page_entries(bot, channel)] == ["open"]


def test_a_resolution_the_page_refuses_offers_to_try_again(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))
    page.fail_next(422, "component status must be one of operational")
    told = bot.reply(bot.command("resolve", channel=channel))
    said = text_of(told)
    assert (
        "is resolved, but the status page is not yet: I could not resolve the incident on "
        "the status page" in said
    )
    assert "HTTP 422" in said
    assert page.component_status(COMPONENT) == "major_outage"
    [retry] = [e for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.reply(bot.click(retry["action_id"], retry["value"], channel=channel))
    assert page.component_status(COMPONENT) == "operational"
    assert [e["send"] for e in page_entries(bot, channel)] == ["open", "resolve"]


def test_who_may_not_steer_may_not_send(bot: BotClient, page: StatuspageStub) -> None:
    channel = declare(bot)
    [offer] = offers(bot, channel, "incident.statuspage_open")
    told = text_of(bot.reply(bot.click(offer["action_id"], offer["value"], "U0DISC", channel)))
    assert "may steer" in told or "steer" in told
    assert page.requests == []


def test_no_offer_without_components_on_the_page(bot: BotClient, page: StatuspageStub) -> None:
    channel = declare(bot, "sev1 checkout is down")
    assert offers(bot, channel, "incident.statuspage_open") == []
    assert page.requests == []
    assert bot.slack.calls_to("chat.postMessage", lambda c: c.params["channel"] == channel)


def test_a_press_left_unfinished_is_taken_over_without_a_second_page_incident(
    bot: BotClient, page: StatuspageStub
) -> None:
    """A replica died after the page opened the incident and before it was recorded: its
    claim holds for a while (another press is told to wait), then the next press finds the
    incident on the page by its metadata and records it, opening no second one."""
    channel = declare(bot)
    view = bot.runtime.service.in_channel(channel)
    assert view is not None
    [offer] = offers(bot, channel, "incident.statuspage_open")
    key = status_page.once_key(view.id, Send.OPEN, 0)
    claimed_at = bot.runtime.service.clock()
    bot.runtime.service.hold(
        view.id, lambda uow, _v: uow.status_pages.claim(view.id, key, "U0BOB", claimed_at)
    )
    Statuspage(page.page.id, page.api_key, page.base_url).open(
        PagePost("Sign-in: service disruption", PageStatus.INVESTIGATING, "…", {}, str(view.id))
    )
    waiting = text_of(bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel)))
    assert "<@U0BOB> is sending to the status page right now" in waiting
    assert page_entries(bot, channel) == []

    stale = claimed_at - BUSY_FOR - timedelta(seconds=1)
    bot.runtime.service.hold(
        view.id, lambda uow, _v: uow.status_pages.claim(view.id, key, "U0BOB", stale)
    )
    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))
    assert len(page.incidents()) == 1
    assert [r.method for r in page.requests] == ["POST", "GET", "PATCH"]
    [entry] = page_entries(bot, channel)
    assert entry["page_incident"] == page.incidents()[0]["id"]


@pytest.fixture
def auto_playbooks(tmp_path: Path) -> Path:
    """The shipped playbooks, with the Sev1 one opening the page incident by itself."""
    for path in SHIPPED_PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    sev1 = tmp_path / "sev1.yaml"
    text = sev1.read_text()
    assert "  open: offer " in text
    sev1.write_text(text.replace("  open: offer ", "  open: auto ", 1))
    return tmp_path


@pytest.mark.parametrize("page_fails", [False, True])
def test_a_playbook_may_open_it_by_itself(
    slack: SlackApiStub,
    engine: Engine,
    repo_root: Path,
    page: StatuspageStub,
    auto_playbooks: Path,
    page_fails: bool,
) -> None:
    if page_fails:
        page.fail_next(500)
    with running_bot(
        slack,
        engine,
        repo_root,
        playbooks_dir=auto_playbooks,
        statuspage_api_url=page.base_url,
        statuspage_page_id=page.page.id,
        statuspage_api_key=page.api_key,
    ) as bot:
        channel = declare(bot)
        said = [text_of(c.params) for c in bot.slack.calls_to("chat.postMessage")]
        if page_fails:  # offered instead, saying why
            assert page.incidents() == []
            assert any("did not take it" in s and "HTTP 500" in s for s in said)
            assert len(offers(bot, channel, "incident.statuspage_open")) == 1
        else:
            assert [i["status"] for i in page.incidents()] == ["investigating"]
            assert offers(bot, channel, "incident.statuspage_open") == []
            assert any("incident-bot opened the incident on the status page" in s for s in said)
            assert [e["send"] for e in page_entries(bot, channel)] == ["open"]
