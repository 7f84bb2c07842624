"""Reviewer r18b: a Jira update whose comment was made but whose answer was lost (a 502 from a
gateway) is tried again: the same comment must not be posted twice."""

from __future__ import annotations

import contextlib

from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import Destination
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.json_api import Refused
from bot.services.trackers import NewIssue, TrackerUnavailable

FILED = NewIssue("add retries", "Owner in Slack: alice.", "incident-bot:7:1", "2026-12-14")
NOW = NewIssue("add jitter", "Owner in Slack: bob.", FILED.marker, "2026-12-20", "add retries")


def test_a_retried_update_comments_once() -> None:
    jira = JiraApiStub().start()
    jira.add_project("PAY")
    try:
        tracker = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token")
        key = tracker.open(Destination("jira", "PAY"), FILED).key
        jira.lose_answer("POST", rf"/rest/api/3/issue/{key}/comment", 502, {"errorMessages": []})
        with contextlib.suppress(TrackerUnavailable):  # the answer was lost: tried again
            tracker.update(key, NOW)
        tracker.update(key, NOW)
        assert len(jira.comments[key]) == 1, jira.comments[key]
        assert jira.issues[key]["fields"]["summary"] == "add jitter"
        again = NewIssue(
            "add backoff", "Owner in Slack: carol.", FILED.marker, "2026-12-20", "add retries"
        )
        tracker.update(key, again)  # was_title is stale: the label says the summary is the bot's
        assert jira.issues[key]["fields"]["summary"] == "add backoff"
        assert len(jira.comments[key]) == 2
    finally:
        jira.stop()


def test_a_summary_the_team_changed_stays() -> None:
    jira = JiraApiStub().start()
    jira.add_project("PAY")
    try:
        tracker = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token")
        key = tracker.open(Destination("jira", "PAY"), FILED).key
        jira.issues[key]["fields"]["summary"] = "Payments: retries"
        tracker.update(key, NOW)
        tracker.update(key, NewIssue("add backoff", "x", FILED.marker, "2026-12-20", "add jitter"))
        assert jira.issues[key]["fields"]["summary"] == "Payments: retries"
    finally:
        jira.stop()


class NoLabelsOnEditScreen(JiraApiStub):
    def _edit(self, request):  # type: ignore[no-untyped-def]
        if "labels" in (request.body or {}).get("fields", {}):
            why = "Field 'labels' cannot be set. It is not on the appropriate screen, or unknown."
            raise Refused(400, {"errorMessages": [], "errors": {"labels": why}})
        return super()._edit(request)


def test_an_edit_screen_without_labels_still_gets_the_update() -> None:
    jira = NoLabelsOnEditScreen().start()
    jira.add_project("PAY")
    try:
        tracker = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token")
        key = tracker.open(Destination("jira", "PAY"), FILED).key
        tracker.update(key, NOW)
        assert jira.issues[key]["fields"]["summary"] == "add jitter"
        assert jira.issues[key]["fields"]["duedate"] == "2026-12-20"
    finally:
        jira.stop()
