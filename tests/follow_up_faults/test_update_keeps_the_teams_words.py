"""A follow-up changed in Slack after it was filed updates only the bot's own part of its
issue: what the team wrote there (around the bot's block of a GitHub body, a Jira
description) stays, and a title the team changed there is not changed back."""

from __future__ import annotations

from bot.adapters.trackers.github import GitHubIssues
from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import Destination
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.services.trackers import NewIssue
from tests.adapters.slack.conftest import BotClient
from tests.adapters.slack.test_follow_ups import with_follow_up

PLAN = "\n\n## Plan (written on github.com)\n- exponential backoff, 3 tries"
FILED = NewIssue("add retries", "Owner in Slack: alice.", "incident-bot:7:1", "2026-12-14")
NOW = NewIssue(
    "add retries, twice", "Owner in Slack: bob.", FILED.marker, "2027-01-05", "add retries"
)


def test_reassigning_in_slack_keeps_what_the_team_wrote_in_the_github_issue(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    bot = filing_bot
    channel = with_follow_up(bot, "add retries to the payment client")
    [issue] = github.issues("acme/checkout")
    issue["body"] = "Context from the team.\n\n" + issue["body"] + PLAN
    issue["title"] = "Payment client: retries with backoff"
    bot.command("follow-up 1 owner <@U0BOB|bob>", channel=channel)
    assert bot.runtime.work.wait_idle()
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "Payment client: retries with backoff"
    assert issue["body"].startswith("Context from the team.\n\n")
    assert issue["body"].endswith(PLAN)
    assert "Owner in Slack: bob" in issue["body"] and "alice" not in issue["body"]
    assert issue["body"].count("<!-- incident-bot:1:1 -->") == 1


def test_github_title_follows_an_edit_while_the_team_left_it() -> None:
    github = GitHubApiStub().start()
    github.add_repo("acme/checkout")
    try:
        issues = GitHubIssues(github.token, github.url, timeout=2)
        opened = issues.open(Destination("github", "acme/checkout"), FILED)
        issues.update(opened.key, NOW)
        [issue] = github.issues("acme/checkout")
        assert issue["title"] == "add retries, twice"
        # an issue filed before the bot marked where its block begins: all before the marker
        issue["body"] = "Owner in Slack: bob.\n\n<!-- incident-bot:7:1 -->" + PLAN
        issues.update(opened.key, NOW)
        assert issue["body"].endswith(PLAN) and issue["body"].count("Owner in Slack") == 1
    finally:
        github.stop()


def test_jira_keeps_the_teams_description_and_summary_and_comments_the_change() -> None:
    jira = JiraApiStub().start()
    jira.add_project("PAY")
    try:
        issues = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token", timeout=2)
        opened = issues.open(Destination("jira", "PAY", "Task"), FILED)
        fields = jira.issues[opened.key]["fields"]
        fields["summary"] = "Payment client: retries with backoff"
        team = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]}
        fields["description"] = team
        issues.update(opened.key, NOW)
        assert fields["summary"] == "Payment client: retries with backoff"
        assert fields["description"] == team and fields["duedate"] == "2027-01-05"
        assert "Owner in Slack: bob." in str(jira.comments[opened.key])
    finally:
        jira.stop()
