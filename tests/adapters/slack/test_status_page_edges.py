# ruff: noqa: F811 - the fixtures are imported from test_status_page
"""The status page under races, stale buttons, failures and reopenings, tried against the real
bot over HTTP with the Slack and Statuspage stand-ins: each test states what customers see."""

from __future__ import annotations

from datetime import timedelta

from bot.core import status_page
from bot.core.status_page import Send
from bot.entrypoints.sandbox.statuspage_api import StatuspageStub
from tests.adapters.slack.conftest import BotClient, on_the_card, text_of
from tests.adapters.slack.test_stakeholders import EXECS, exec_bot  # noqa: F401 - fixture
from tests.adapters.slack.test_status_page import (  # noqa: F401 - fixtures
    COMPONENT,
    bot,
    declare,
    offers,
    page,
    page_entries,
)


def _open_on_page(bot: BotClient, channel: str) -> None:
    [offer] = offers(bot, channel, "incident.statuspage_open")
    bot.reply(bot.click(offer["action_id"], offer["value"], channel=channel))


def test_a_resolution_while_someone_is_sending_an_update_still_resolves_the_page(
    bot: BotClient, page: StatuspageStub
) -> None:
    """Someone pressed 'post this update on the status page' (its request is with the page)
    when the commander resolves. The resolution meets the claim (InProgress), sends nothing,
    offers no button and tells no one: the page shows a major outage for good."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    view = bot.runtime.service.in_channel(channel)
    assert view is not None
    key = status_page.once_key(view.id, Send.UPDATE, 99)
    now = bot.runtime.service.clock()
    bot.runtime.service.hold(  # an update press, in flight
        view.id, lambda uow, _v: uow.status_pages.claim(view.id, key, "U0BOB", now)
    )
    sent = bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()
    bot.runtime.service.hold(view.id, lambda uow, _v: uow.status_pages.release(view.id))
    assert bot.runtime.work.wait_idle()

    resolved_on_page = page.component_status(COMPONENT) == "operational"
    told = bot.slack.responses(sent.response_key)
    retries = offers(bot, channel, "incident.statuspage_resolve") + [
        e
        for m in told
        for b in m.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert resolved_on_page or retries, (
        "resolved here, yet the page still shows a major outage and nobody is offered to "
        f"resolve it: {[text_of(m) for m in told]}"
    )


def test_an_old_resolution_retry_pressed_after_a_reopening_does_not_resolve_the_page(
    bot: BotClient, page: StatuspageStub
) -> None:
    """The page failed at the resolution; the resolver got a 'try again' button. The incident
    is reopened; later the old button is pressed: customers are told it is resolved, its
    components operational, while the incident is live again."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    page.fail_next(503)
    told = bot.reply(bot.command("resolve", channel=channel))
    [retry] = [e for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.command("reopen", channel=channel)
    assert bot.runtime.work.wait_idle()

    pressed = text_of(bot.reply(bot.click(retry["action_id"], retry["value"], channel=channel)))
    view = bot.runtime.service.in_channel(channel)
    assert view is not None and view.is_open
    assert page.component_status(COMPONENT) == "major_outage", pressed
    assert [i["status"] for i in page.incidents()] == ["investigating"], pressed


def test_an_older_update_pressed_after_a_newer_one_does_not_go_out_as_the_latest(
    bot: BotClient, page: StatuspageStub
) -> None:
    """Two status updates; the second is sent to the page; then someone presses the first's
    offer: customers read the older, superseded update as the newest."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    bot.command(
        'update impact="sign-in errors" affected=20% action="looking" next=30m', channel=channel
    )
    assert bot.runtime.work.wait_idle()
    bot.command(
        'update impact="sign-in fixed for most" affected=2% action="failing over" next=30m',
        channel=channel,
    )
    assert bot.runtime.work.wait_idle()
    first, second = offers(bot, channel, "incident.statuspage_update")
    bot.reply(bot.click(second["action_id"], second["value"], channel=channel))
    older = text_of(bot.reply(bot.click(first["action_id"], first["value"], channel=channel)))
    patched = [r for r in page.wait_for_requests(4) if r.method == "PATCH"]
    assert patched[-1].body is not None
    assert "sign-in fixed for most" in patched[-1].body["incident"]["body"], older


def test_a_resolution_the_page_refuses_is_said_even_when_the_channel_refuses_too(
    bot: BotClient, page: StatuspageStub
) -> None:
    """Slack refuses posts in the incident's channel and Statuspage answers 503 at the
    resolution: the person is told the channel was not, but not that the page still shows the
    outage, and the button to try again is dropped."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    bot.slack.refuse_posts_in(channel, "not_in_channel")
    page.fail_next(503)
    sent = bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()

    told = bot.slack.responses(sent.response_key)
    said = " ".join(text_of(m) for m in told)
    buttons = [
        e
        for m in told
        for b in m.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert page.component_status(COMPONENT) == "major_outage"
    assert "status page" in said and buttons, said


def test_each_status_update_offers_itself_to_the_page(bot: BotClient, page: StatuspageStub) -> None:
    """Two updates typed close together (two people, or one retyping a correction): each
    offer reads 'the last status update' after its own was recorded, so both offer the second
    and the first is never offered; the second's two buttons say 'already sent' to each other."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    first = bot.command(
        'update impact="sign-in errors" affected=20% action="looking" next=30m', channel=channel
    )
    second = bot.command(
        'update impact="sign-in slow" affected=5% action="scaling" next=30m',
        channel=channel,
        user="U0BOB",
    )
    assert bot.runtime.work.wait_idle()
    assert first.status == second.status == 200
    values = [o["value"] for o in offers(bot, channel, "incident.statuspage_update")]
    assert len(values) == 2 and len(set(values)) == 2, values


def test_the_resolution_restores_components_of_services_no_longer_named(
    bot: BotClient, page: StatuspageStub
) -> None:
    """The page incident was opened for `accounts` (Sign-in: major outage). The team then
    finds checkout is the culprit and names it instead (`/incident service checkout`, not on
    the page). At the resolution the incident has no service on the page, so the resolution
    is NotConfigured: nothing is sent, no one is told, and the page shows Sign-in in a major
    outage for good."""
    channel = declare(bot)
    _open_on_page(bot, channel)
    bot.command("service checkout", channel=channel)
    assert bot.runtime.work.wait_idle()
    sent = bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()

    told = [text_of(m) for m in bot.slack.responses(sent.response_key)]
    assert [i["status"] for i in page.incidents()] == ["resolved"], told
    assert page.component_status(COMPONENT) == "operational", told


def test_an_escalation_the_executive_channel_refused_is_told_again(
    exec_bot: BotClient,
) -> None:
    """A Sev2 escalated to Sev1: the executive channel the Sev1 playbook adds refuses the
    announcement (Slack 'channel_not_found' for a moment, the bot not invited yet). Nothing
    records it owed, so no timer tells them; they hear of the Sev1 only if and when someone
    posts a status update, and then without the announcement."""
    bot = exec_bot
    bot.reply(bot.command("sev2 checkout is slow"))
    assert bot.runtime.work.wait_idle()
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    bot.slack.refuse_posts_in(EXECS, "not_in_channel")
    confirm = bot.reply(bot.command("sev1", channel=channel))
    [button] = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    bot.click(button["action_id"], button["value"], channel=channel)
    bot.slack.wait_for("chat.update", count=1, predicate=on_the_card)
    assert bot.runtime.work.wait_idle()
    assert bot.runtime.service.get(1).severity.label == "Sev1"
    bot.slack.refuse_posts_in(EXECS, None)  # invited now
    later = bot.runtime.service.clock() + timedelta(minutes=5)
    bot.runtime.runner.tick(later)
    assert bot.runtime.work.wait_idle()

    heard = [text_of(m) for m in bot.slack.messages(EXECS)]
    assert any("Sev1" in h for h in heard), heard


def test_a_resolution_the_page_refused_is_sent_by_its_timer_once_the_page_is_back(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    _open_on_page(bot, channel)
    page.fail_next(503)
    bot.reply(bot.command("resolve", channel=channel))
    assert page.component_status(COMPONENT) == "major_outage"

    later = bot.runtime.service.clock() + timedelta(minutes=1)
    bot.runtime.runner.tick(later)  # the page timer, past its grace
    assert bot.runtime.work.wait_idle()
    assert page.component_status(COMPONENT) == "operational"
    assert [i["status"] for i in page.incidents()] == ["resolved"]
    bot.runtime.runner.tick(later + timedelta(minutes=10))  # nothing owed: nothing sent again
    entries = page_entries(bot, channel)
    assert [e["send"] for e in entries] == ["open", "resolve"]  # resolved once


def test_a_long_update_reaches_customers_shortened_with_its_promise(
    bot: BotClient, page: StatuspageStub
) -> None:
    channel = declare(bot)
    _open_on_page(bot, channel)
    impact = " ".join(f"w{i}" for i in range(4500))  # 25,889 characters: past the page's limit
    line = f'update impact="{impact}" affected=20% action="failing over" next=30m'
    bot.command(line, channel=channel)
    assert bot.runtime.work.wait_idle()
    [update] = offers(bot, channel, "incident.statuspage_update")
    bot.reply(bot.click(update["action_id"], update["value"], channel=channel))
    assert bot.runtime.work.wait_idle()
    body = page.requests[-1].body["incident"]["body"]
    assert len(body) <= 25_000
    assert body.startswith("We are aware of w0 w1 ")
    assert body.endswith(
        "…, affecting 20% of traffic. We are failing over. Next update in 30 minutes."
    )
