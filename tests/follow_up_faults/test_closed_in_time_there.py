"""An issue closed in the tracker before its follow-up was due, learnt after the due date (the
webhook lost, the next poll not come): done on time, by the tracker's own close time (GitHub
``closed_at``, Jira ``resolutiondate``), and nobody told it is overdue. Virtual clock."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.trackers.github import GitHubIssues
from bot.adapters.trackers.jira import JiraIssues
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.core.follow_ups import Destination, FollowUpState
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from bot.services.trackers import NewIssue
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.timer_support import Recorder

NEW = NewIssue("add retries", "body", "incident-bot:1:1", "2026-12-14")


def test_closed_in_time_in_github_is_done_in_time_here(units, filing, now) -> None:  # type: ignore[no-untyped-def]
    github = GitHubApiStub(clock=lambda: now.now).start()
    github.add_repo("acme/checkout")
    try:
        tracker = GitHubIssues(github.token, github.url)
        service = IncidentService(units, filing.policies, now)
        follow_ups = FollowUps(service, Access(FakeChat(), None, None), filing, {"github": tracker})
        said = Recorder()
        runner = TimerRunner(units, service, said, owner="a", tracker=follow_ups)
        incident = declare(service)
        follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(hours=1))
        follow_ups.sync(incident)
        for minute in range(1, 56):  # polled every 15 minutes
            now.now = T0 + timedelta(minutes=minute)
            runner.tick(now.now)
        github.close_issue("acme/checkout", 1)  # 55 minutes in, on github.com; no webhook
        for minute in range(56, 90):
            now.now = T0 + timedelta(minutes=minute)
            runner.tick(now.now)
        view = service.get(incident)
        [f] = view.follow_ups
        overdue = [key for (_w, _i, key, _t) in said.said if key.startswith("follow_up@")]
        assert (f.state, f.closed_at, f.done_on_time, overdue) == (
            FollowUpState.DONE,
            T0 + timedelta(minutes=55),
            True,
            [],
        )
        [deadline] = [d for d in view.deadlines if d.kind is DeadlineKind.FOLLOW_UP]
        assert deadline.status is DeadlineStatus.MET
    finally:
        github.stop()


def test_a_poll_after_the_due_date_counts_jiras_resolution_date(units, filing, now) -> None:  # type: ignore[no-untyped-def]
    jira = JiraApiStub(clock=lambda: now.now).start()
    jira.add_project("PAY")
    try:
        tracker = JiraIssues(jira.url, "bot@example.com", "jira-sandbox-token")
        issue = tracker.open(Destination("jira", "PAY", "Task"), NEW)
        now.now = T0 + timedelta(minutes=50)
        jira.resolve(issue.key)
        assert tracker.get(issue.key).closed_at == T0 + timedelta(minutes=50)
    finally:
        jira.stop()
