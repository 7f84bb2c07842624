"""A Jira workflow whose first done-category transition is Reject (to Rejected, resolution
Won't Do): a follow-up done here closes its issue by the Done transition, one dropped here by
Reject; the shipped workflow without Reject still closes by Done."""

from __future__ import annotations

import pytest

from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import Destination, FollowUpState
from bot.entrypoints.sandbox.jira_api import REJECT, TRANSITIONS, JiraApiStub
from bot.services.trackers import NewIssue

NEW = NewIssue("add retries", "body", "incident-bot:1:1", "2026-12-14")


@pytest.mark.parametrize(
    ("state", "status", "resolution"),
    [(FollowUpState.DONE, "Done", "Done"), (FollowUpState.WONT_DO, "Rejected", "Won't Do")],
)
def test_closed_by_the_transition_that_says_so(
    state: FollowUpState, status: str, resolution: str
) -> None:
    jira = JiraApiStub().start()
    jira.add_project("PAY")
    jira.transitions = [TRANSITIONS[0], REJECT, *TRANSITIONS[1:]]
    try:
        issues = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token", timeout=2)
        opened = issues.open(Destination("jira", "PAY", "Task"), NEW)
        issues.close(opened.key, state)
        fields = jira.issues[opened.key]["fields"]
        assert (fields["status"]["name"], fields["resolution"]["name"]) == (status, resolution)
        assert issues.get(opened.key).state is state
    finally:
        jira.stop()
