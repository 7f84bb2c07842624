"""A change typed in other words than the five moves (``1 won't do …``, ``1 reassign @bob``,
``#1 done``, ``done 1``, ``1 close``) changes the follow-up; a number followed by a word that is
no change is answered with what to type. Neither is ever added as a new follow-up, nor filed
in the tracker. Words that start with a number are added when quoted."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.adapters.slack.commands import UsageError
from bot.adapters.slack.follow_up_commands import follow_up
from bot.core.follow_ups import FollowUpState
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient
from tests.adapters.slack.test_follow_ups import with_follow_up


@dataclass(frozen=True)
class _Verb:
    name: str = "follow-up"
    example: str = "follow-up add retries to the payment client @bob due 14d"


BOB = "<@U0BOB|bob>"


@pytest.mark.parametrize(
    ("typed", "words", "text", "user"),
    [
        (
            "1 won't do covered by the SLO project",
            ("wontdo", "1", ""),
            "covered by the SLO project",
            None,
        ),
        ("1 won\u2019t do covered", ("wontdo", "1", ""), "covered", None),
        ("1 wont do covered", ("wontdo", "1", ""), "covered", None),
        ("1 Won't-Do covered", ("wontdo", "1", ""), "covered", None),
        (f"1 reassign {BOB}", ("owner", "1", ""), "", "U0BOB"),
        (f"1 assign {BOB}", ("owner", "1", ""), "", "U0BOB"),
        (f"1 assign to {BOB}", ("owner", "1", ""), "", "U0BOB"),
        ("#1 done", ("done", "1", ""), "", None),
        ("done 1", ("done", "1", ""), "", None),
        ("done #2", ("done", "2", ""), "", None),
        ("1 close", ("done", "1", ""), "", None),
        ("1 closed", ("done", "1", ""), "", None),
        ("1 complete", ("done", "1", ""), "", None),
        ("1 due tomorrow", ("due", "1", "tomorrow"), "", None),
        ("1 rename retries with backoff", ("edit", "1", ""), "retries with backoff", None),
        ("wontdo 2 covered", ("wontdo", "2", ""), "covered", None),
        (f"assign 2 {BOB}", ("owner", "2", ""), "", "U0BOB"),
        ("close #3", ("done", "3", ""), "", None),
    ],
)
def test_a_change_in_other_words_is_that_change(
    typed: str, words: tuple[str, ...], text: str, user: str | None
) -> None:
    command = follow_up(_Verb(), typed)
    assert (command.words, command.text, command.user) == (words, text, user)


@pytest.mark.parametrize("typed", ["1 frobnicate", "1", "#3 reopen it", "1 add retries"])
def test_a_number_then_no_change_says_what_to_type(typed: str) -> None:
    with pytest.raises(UsageError) as refused:
        follow_up(_Verb(), typed)
    said = str(refused.value)
    assert "wontdo" in said and "owner @x" in said and "in quotes" in said


@pytest.mark.parametrize(
    ("typed", "text", "user", "due"),
    [
        ('"2 more replicas for the payment DB"', "2 more replicas for the payment DB", None, ""),
        ("\u201c2 more replicas\u201d <@U0BOB|bob> due 14d", "2 more replicas", "U0BOB", "14d"),
        ("add retries to the payment client", "add retries to the payment client", None, ""),
        ("close the open ports", "close the open ports", None, ""),
        ("done-ness checks for 500s", "done-ness checks for 500s", None, ""),
        ("close 2 open ports", "close 2 open ports", None, ""),
        ("drop 2 old indexes", "drop 2 old indexes", None, ""),
        ("edit-able 3 runbooks", "edit-able 3 runbooks", None, ""),
        # r18b: due [by|on|in] <when> before or after the owner; quotes end at their match
        (f"add a runbook due 7d {BOB}", "add a runbook", "U0BOB", "7d"),
        (f"add a runbook {BOB} due 7d", "add a runbook", "U0BOB", "7d"),
        ("add retries due by 2026-04-01", "add retries", None, "2026-04-01"),
        ("add jitter due on 2026-04-01", "add jitter", None, "2026-04-01"),
        ("add a budget due in 7d", "add a budget", None, "7d"),
        ("add alerts due 7 days", "add alerts", None, "7 days"),
        (f"add alerts due in 2 weeks {BOB}", "add alerts", "U0BOB", "2 weeks"),
        (
            f'"expire the users\' sessions on logout" {BOB}',
            "expire the users' sessions on logout",
            "U0BOB",
            "",
        ),
        ('"make invoices show the due date"', "make invoices show the due date", None, ""),
        (
            f'"make invoices show the due date" {BOB}',
            "make invoices show the due date",
            "U0BOB",
            "",
        ),
        (
            f'"make invoices show the due date" {BOB} due 7d',
            "make invoices show the due date",
            "U0BOB",
            "7d",
        ),
        ("\u201cthe users\u2019 sessions\u201d", "the users\u2019 sessions", None, ""),
        ("\u2018quoted in curly singles\u2019", "quoted in curly singles", None, ""),
        (f"'the users' sessions' {BOB}", "the users' sessions", "U0BOB", ""),
        ('"Retry" button is broken', '"Retry" button is broken', None, ""),
        ('"  " spaces', '" " spaces', None, ""),
        ("mark 2 flaky tests as skipped", "mark 2 flaky tests as skipped", None, ""),
    ],
)
def test_words_that_are_not_a_change_are_added(
    typed: str, text: str, user: str | None, due: str
) -> None:
    command = follow_up(_Verb(), typed)
    assert (command.words, command.text, command.user) == (("add", due), text, user)


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("follow-up 1 won't do covered by the SLO project", FollowUpState.WONT_DO),
        ("follow-up #1 done", FollowUpState.DONE),
        ("follow-up done 1", FollowUpState.DONE),
        ("follow-up 1 close", FollowUpState.DONE),
    ],
)
def test_a_near_miss_changes_it_and_files_nothing_new(
    filing_bot: BotClient, github: GitHubApiStub, typed: str, state: FollowUpState
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries to the payment client")
    bot.command(typed, channel=channel)
    assert bot.runtime.work.wait_idle()
    assert len(github.issues("acme/checkout")) == 1
    [only] = bot.runtime.service.get(1).follow_ups
    assert only.state is state


def test_an_unknown_change_is_answered_privately_and_adds_nothing(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries to the payment client")
    reply = bot.command("follow-up 1 frobnicate", channel=channel).json()
    assert reply["response_type"] == "ephemeral"
    assert "is not a change I know" in reply["text"]
    assert bot.runtime.work.wait_idle()
    assert len(bot.runtime.service.get(1).follow_ups) == 1
    assert len(github.issues("acme/checkout")) == 1
