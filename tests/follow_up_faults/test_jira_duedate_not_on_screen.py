"""Jira Cloud refuses a create that sets a field the project's create screen lacks:
400 {"errors": {"duedate": "Field 'duedate' cannot be set. It is not on the appropriate screen,
or unknown."}} (developer.atlassian.com, create issue: "fields ... must be on the create
screen"). Many projects (team-managed ones, company-managed Scrum/Kanban) have no Due date
on it. JiraIssues.open always sends ``duedate``, so no follow-up of such a project is ever
filed; it should file without the date (the due date is in the description) as close() does
for a resolution the screen will not take.
"""

from __future__ import annotations

from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import Destination
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.json_api import Refused
from bot.services.trackers import NewIssue, TrackerUnavailable


class NoDueDateOnScreen(JiraApiStub):
    def _create(self, request):  # type: ignore[no-untyped-def]
        fields = (request.body or {}).get("fields", {})
        if "duedate" in fields:
            why = "Field 'duedate' cannot be set. It is not on the appropriate screen, or unknown."
            raise Refused(400, {"errorMessages": [], "errors": {"duedate": why}})
        return super()._create(request)


def test_a_project_without_due_date_on_its_screen_still_gets_its_follow_ups() -> None:
    stub = NoDueDateOnScreen().start()
    try:
        stub.add_project("PAY")
        jira = JiraIssues(stub.url, "bot@example.com", "jira-sandbox-token")
        issue = NewIssue(
            "add retries", "Due 2026-12-15 23:59 UTC.", "incident-bot:1:1", "2026-12-15"
        )
        try:
            filed = jira.open(Destination("jira", "PAY", "Task"), issue)
        except TrackerUnavailable as refused:
            raise AssertionError(f"not filed: {refused} (lasting={refused.lasting})") from None
        assert filed.key == "PAY-1"
    finally:
        stub.stop()
