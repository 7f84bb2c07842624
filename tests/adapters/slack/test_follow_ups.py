"""Follow-ups typed in Slack, through the real endpoint: added, listed, changed, refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.core.follow_ups import FollowUpState
from bot.core.model import EventKind
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import (
    GENERAL,
    SHIPPED_PLAYBOOKS,
    BotClient,
    Sent,
    running_bot,
    text_of,
)


def declared(bot: BotClient) -> str:
    """A Sev1 declared and set up; its channel."""
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    assert bot.runtime.work.wait_idle()
    return str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])


@pytest.fixture
def channel(bot: BotClient) -> str:
    return declared(bot)


def with_follow_up(bot: BotClient, what: str) -> str:
    """A Sev1 declared with follow-up ``what`` added, and everything after settled; its channel."""
    channel = declared(bot)
    bot.command(f"follow-up {what}", channel=channel)
    assert bot.runtime.work.wait_idle()
    return channel


def said_in(bot: BotClient, channel: str) -> list[str]:
    assert bot.runtime.work.wait_idle()
    return [text_of(m) for m in bot.slack.messages(channel)]


def test_a_follow_up_is_added_with_its_owner_and_due_date_and_listed(
    bot: BotClient, channel: str
) -> None:
    bot.command(
        "follow-up add retries to <the> payment client <@U0BOB|bob> due 2w", channel=channel
    )
    [added] = [s for s in said_in(bot, channel) if "follow-up 1 of incident 1" in s]
    assert "added follow-up 1 of incident 1: add retries to &lt;the&gt; payment client" in added
    assert "<@U0BOB>" in added
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert (follow_up.owner, follow_up.state) == ("U0BOB", FollowUpState.OPEN)
    assert abs(follow_up.due_at - follow_up.added_at - timedelta(weeks=2)) < timedelta(seconds=5)

    listed = bot.reply(bot.command("1 follow-ups", channel=GENERAL))
    assert listed["response_type"] == "ephemeral"
    assert ":white_circle: *1.* add retries to &lt;the&gt; payment client (<@U0BOB>" in text_of(
        listed
    )


def test_changes_are_told_in_the_channel_and_typed_elsewhere_are_said_where(
    bot: BotClient, channel: str
) -> None:
    bot.command("follow-up alert on the error budget", channel=channel)
    assert bot.runtime.work.wait_idle()
    reply = bot.reply(bot.command("1 follow-up 1 owner <@U0BOB|bob>", channel=GENERAL))
    assert f"Told in <#{channel}>" in reply["text"]
    bot.command("follow-up 1 due 300d", channel=channel)
    assert bot.runtime.work.wait_idle()
    bot.command("follow-up 1 done", user="U0BOB", channel=channel)
    said = said_in(bot, channel)
    assert any("reassigned follow-up 1" in s for s in said)
    assert any("moved the due date of follow-up 1" in s for s in said)
    assert any("<@U0BOB> marked done follow-up 1" in s for s in said)
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.state is FollowUpState.DONE
    assert follow_up.due_at - follow_up.added_at > timedelta(days=299)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("follow-up", "say what must be done"),
        ("follow-up 1 owner bob", "is not a mention of a person"),
        ("follow-up ask <@U0BOB|bob> to tell <@U0CAROL|carol> now", "name its owner last"),
        ("follow-up 1 wontdo", "say why"),
    ],
)
def test_what_cannot_be_read_is_answered_in_the_ack_with_what_to_type(
    bot: BotClient, channel: str, typed: str, answer: str
) -> None:
    reply = bot.command(typed, channel=channel).json()
    assert reply["response_type"] == "ephemeral"
    assert answer in reply["text"]


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("follow-up 3 done", "has no follow-up 3"),
        ("follow-up x due someday", "`someday` is not a due date"),
        ("follow-up x due 2001-01-01", "is past"),
        ("follow-up add retries due 999w", "more than a year away"),
        ("follow-up add retries due 9999-12-31", "more than a year away"),
    ],
)
def test_what_cannot_be_done_is_answered_privately_with_what_to_type(
    bot: BotClient, channel: str, typed: str, answer: str
) -> None:
    reply = bot.reply(bot.command(typed, channel=channel))
    assert reply["response_type"] == "ephemeral"
    assert answer in reply["text"]


def test_a_bystander_may_add_but_not_close_anothers_follow_up(bot: BotClient, channel: str) -> None:
    bot.command("follow-up add retries <@U0BOB|bob>", user="U0MALLORY", channel=channel)
    assert said_in(bot, channel)
    reply = bot.reply(bot.command("follow-up 1 wontdo nah", user="U0MALLORY", channel=channel))
    assert "A follow-up's owner may also mark it done" in reply["text"]
    assert bot.runtime.service.get(1).follow_ups[0].state is FollowUpState.OPEN


TRACKER_SECRET = "tracker-webhook-secret"


@pytest.fixture
def github() -> Iterator[GitHubApiStub]:
    stub = GitHubApiStub().start()
    stub.add_repo("acme/checkout")
    yield stub
    stub.stop()


@pytest.fixture
def filing_bot(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path, github: GitHubApiStub
) -> Iterator[BotClient]:
    """A bot whose catalog files checkout's follow-ups in GitHub's acme/checkout."""
    with running_bot(slack, engine, repo_root, **filing_settings(tmp_path, github)) as client:
        yield client


def filing_settings(folder: Path, github: GitHubApiStub) -> dict[str, Any]:
    """The bot's settings for ``github``, with the shipped playbooks copied into ``folder``
    and its catalog filing checkout's follow-ups in GitHub's acme/checkout."""
    for path in SHIPPED_PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    catalog = folder / "catalog.yaml"
    text = catalog.read_text()
    assert "    team: Payments\n" in text
    catalog.write_text(
        text.replace(
            "    team: Payments\n", "    team: Payments\n    follow_ups: {github: acme/checkout}\n"
        )
    )
    return {
        "playbooks_dir": folder,
        "github_api_url": github.url,
        "github_token": github.token,
        "tracker_webhook_secret": TRACKER_SECRET,
    }


def test_a_follow_up_is_filed_in_github_and_done_when_its_issue_is_closed_there(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = declared(bot)
    bot.command("follow-up add retries to the payment client <@U0BOB|bob> due 14d", channel=channel)
    assert bot.runtime.work.wait_idle()

    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "add retries to the payment client"
    assert "<!-- incident-bot:1:1 -->" in issue["body"] and "Owner in Slack: bob" in issue["body"]
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.link is not None and follow_up.link.key == "acme/checkout#1"
    listed = text_of(bot.reply(bot.command("follow-ups", channel=channel)))
    assert "<https://github.com/acme/checkout/issues/1|acme/checkout#1>" in listed

    hook = f"{bot.url}/webhooks/github"
    assert github.close_issue("acme/checkout", 1, hook, secret="wrong") == 401
    assert bot.runtime.service.get(1).follow_ups[0].state is FollowUpState.OPEN
    assert github.close_issue("acme/checkout", 1, hook, secret=TRACKER_SECRET) == 200
    assert bot.runtime.service.get(1).follow_ups[0].state is FollowUpState.DONE
    assert github.close_issue("acme/checkout", 1, hook, secret=TRACKER_SECRET) == 200  # again


def test_a_follow_up_added_while_github_is_down_is_filed_once_it_is_back(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = declared(bot)
    github.fail_next(503, {"message": "Service unavailable"})
    bot.command("follow-up add retries", channel=channel)
    assert bot.runtime.work.wait_idle()
    assert github.issues("acme/checkout") == []
    assert bot.runtime.service.get(1).follow_ups[0].link is None  # owed, not lost

    later = bot.runtime.service.clock() + timedelta(minutes=1)
    bot.runtime.runner.tick(later)  # the tracker timer, past its grace
    bot.runtime.runner.tick(later)
    assert len(github.issues("acme/checkout")) == 1
    assert bot.runtime.service.get(1).follow_ups[0].link is not None


def test_a_sev3s_ticket_is_a_github_issue_where_the_catalog_files_the_service(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    reply = bot.reply(bot.command("sev3 checkout receipts show the wrong currency"))
    assert "ticket acme/checkout#1" in reply["text"]
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "Sev3: checkout receipts show the wrong currency"
    assert "<!-- incident-bot:1:ticket -->" in issue["body"]


def test_a_sev3_ticket_github_refused_is_filed_by_the_set_up_timer_once(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    github.fail_next(502)
    bot.reply(bot.command("sev3 checkout receipts show the wrong currency"))
    assert github.issues("acme/checkout") == []
    later = bot.runtime.service.clock() + timedelta(minutes=1)
    bot.runtime.runner.tick(later)
    bot.runtime.runner.tick(later + timedelta(minutes=1))
    assert len(github.issues("acme/checkout")) == 1


def shortcut(
    bot: BotClient, channel: str, text: str, ts: str = "1700000000.000100", **more: Any
) -> Sent:
    return bot.interact(
        {
            "type": "message_action",
            "callback_id": "incident.follow_up",
            "user": {"id": "U0BOB"},
            "channel": {"id": channel},
            "message": {"type": "message", "ts": ts, "text": text, "user": "U0ALICE", **more},
            "message_ts": ts,
        }
    )


def test_the_add_as_follow_up_shortcut_makes_a_message_a_follow_up(
    bot: BotClient, channel: str
) -> None:
    posted = bot.slack.calls_to("chat.postMessage", lambda c: c.params["channel"] == channel)
    ts = str(posted[0].response["ts"])
    sent = shortcut(bot, channel, "we should   retry <payments> twice", ts)
    assert sent.status == 200
    assert bot.runtime.work.wait_idle()
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.what.startswith("we should retry <payments> twice (https://")
    assert follow_up.added_by == "U0BOB"
    assert any("added follow-up 1 of incident 1" in s for s in said_in(bot, channel))
    shortcut(bot, channel, "again", ts)  # another press: another follow-up, not a retry
    assert bot.runtime.work.wait_idle()
    assert len(bot.runtime.service.get(1).follow_ups) == 2


def test_the_shortcut_on_a_screenshot_or_an_alert_alone_says_what_it_shows(
    bot: BotClient, channel: str
) -> None:
    shot = {"id": "F1", "name": "shot.png", "title": "error rate", "permalink": "https://x/F1"}
    alert = {"fallback": "[FIRING] HighErrorRate", "text": "rate &gt; 5%"}
    for text, more in [("", {"files": [shot]}), ("", {"attachments": [alert]})]:
        shortcut(bot, channel, text, "1.5", **more)
        assert bot.runtime.work.wait_idle()  # one at a time: numbered in this order
    shortcut(bot, channel, "x" * 990 + " &amp;&amp;&amp;&amp;")
    assert bot.runtime.work.wait_idle()
    whats = [f.what for f in bot.runtime.service.get(1).follow_ups]
    assert whats[0].startswith(":paperclip: error rate (shot.png) https://x/F1")
    assert whats[1].startswith("rate &gt; 5%")
    assert whats[2].startswith("x" * 990 + "…")  # shortened between entities


def test_the_shortcut_outside_an_incident_channel_says_what_to_type(bot: BotClient) -> None:
    sent = shortcut(bot, GENERAL, "we should retry")
    reply = bot.reply(sent)
    assert "not in an incident's channel" in reply["text"]
    assert (
        "`/incident &lt;number&gt; follow-up" in reply["text"]
        or "/incident <number>" in reply["text"]
    )


def test_a_mention_inside_the_sentence_stays_in_it_and_reaches_github_pinging_no_one(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = declared(bot)
    bot.command(
        "follow-up ask <@U0CAROL|carol> and <!subteam^S0SEC|@security> to rotate the keys",
        channel=channel,
    )
    assert bot.runtime.work.wait_idle()

    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert (
        follow_up.what == "ask <@U0CAROL|carol> and <!subteam^S0SEC|@security> to rotate the keys"
    )
    assert follow_up.owner == "U0CAROL"
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "ask @carol and @security to rotate the keys"
    body = issue["body"]
    assert "ask @&#8203;carol and @&#8203;security to rotate the keys" in body
    assert "<@" not in body and "<!" not in body.replace("<!--", "")


def test_an_issue_closed_as_not_planned_there_drops_the_follow_up_here(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries")

    hook = f"{bot.url}/webhooks/github"
    closed = github.close_issue("acme/checkout", 1, hook, TRACKER_SECRET, reason="not_planned")

    assert closed == 200
    [follow_up] = bot.runtime.service.get(1).follow_ups
    assert follow_up.state is FollowUpState.WONT_DO
    assert any("closed as not planned" in s and "won't be done" in s for s in said_in(bot, channel))


def test_a_follow_up_dropped_here_closes_its_issue_as_not_planned(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries")
    bot.command("follow-up 1 wontdo covered by the new alert", channel=channel)
    assert bot.runtime.work.wait_idle()

    [issue] = github.issues("acme/checkout")
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")


def test_an_issue_deleted_there_is_told_once_and_the_others_are_still_filed(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries")
    github.delete_issue("acme/checkout", 1)
    bot.command("follow-up alert on the error budget", channel=channel)
    assert bot.runtime.work.wait_idle()

    later = bot.runtime.service.clock() + timedelta(hours=1)
    bot.runtime.runner.tick(later)  # polling: the tracker timer
    bot.runtime.runner.tick(later + timedelta(hours=1))

    first, second = bot.runtime.service.get(1).follow_ups
    assert "404" in first.refused and first.is_open
    assert second.link is not None
    told = [s for s in said_in(bot, channel) if "The tracker refused follow-up 1" in s]
    assert len(told) == 1 and "no longer exists there" in told[0] and "file it anew" in told[0]


def test_the_listing_shows_open_ones_first_however_many_are_closed(
    bot: BotClient, channel: str
) -> None:
    service = bot.runtime.service
    due = (service.clock() + timedelta(days=3)).isoformat()
    for number in range(1, 46):
        extra = {"due": due}
        service.record(1, EventKind.FOLLOW_UP_ADDED, "U0ALICE", text=f"task {number}", extra=extra)
    for number in range(2, 46):
        service.record(1, EventKind.FOLLOW_UP_DONE, "U0ALICE", extra={"follow_up": str(number)})

    listed = bot.reply(bot.command("follow-ups", channel=channel))

    shown = text_of(listed)
    assert ":white_circle: *1.* task 1" in shown  # the only open one, added first
    assert "5 more not shown (0 open, due later; 5 done or dropped)" in shown
    assert len(listed["blocks"]) <= 50


def test_a_long_follow_up_told_elsewhere_still_says_where(bot: BotClient, channel: str) -> None:
    bot.command("follow-up " + "alert on the error budget " * 1200, channel=channel)
    assert bot.runtime.work.wait_idle()
    reply = bot.reply(bot.command("1 follow-up 1 owner <@U0BOB|bob>", channel=GENERAL))
    shown = [block["text"]["text"] for block in reply["blocks"] if block["type"] == "section"]
    assert shown[-1].endswith(f"Told in <#{channel}>.")
