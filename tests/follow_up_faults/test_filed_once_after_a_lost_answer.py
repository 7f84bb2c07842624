"""A tracker that made the issue but whose answer was lost (a 5xx from a gateway, a timeout):
the follow-up is filed once. Jira's search lags its writes: the bot looks for the issue again,
not opening another, until the search lag is over. GitHub drops the labels of a token without
push access: the issue is found by the marker in its body, not by label. Virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.adapters.slack.tickets import SlackTriageTickets
from bot.adapters.trackers.github import GitHubIssues
from bot.adapters.trackers.jira import JiraIssues
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.playbooks.loader import Playbooks
from bot.playbooks.schema import ServiceFollowUps
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.rooms import TicketNotFiled
from bot.services.tracker_tickets import TrackerTickets
from tests.adapters.slack.conftest import running_bot
from tests.adapters.slack.test_follow_ups import filing_settings, with_follow_up
from tests.core.timelines import T0
from tests.services.conftest import FixedClock, declare, with_service
from tests.services.fakes import FakeChat

CREATE = "/rest/api/3/issue"
GITHUB_CREATE = r"/repos/[^/]+/[^/]+/issues"
GATEWAY = {"errorMessages": ["Gateway timeout"], "errors": {}}


@pytest.fixture
def jira(now: FixedClock) -> Iterator[JiraApiStub]:
    """Jira on the test's clock, its search 2 minutes behind its writes."""
    stub = JiraApiStub(clock=lambda: now.now).start()
    stub.add_project("PAY")
    stub.search_lag = timedelta(minutes=2)
    yield stub
    stub.stop()


def _jira_follow_ups(units, playbooks, now, jira: JiraApiStub):  # type: ignore[no-untyped-def]
    filing = with_service(playbooks, "checkout", follow_ups=ServiceFollowUps(jira="PAY"))
    tracker = JiraIssues(
        jira.url, "bot@example.com", "jira-sandbox-token", search_lag=timedelta(minutes=5)
    )
    service = IncidentService(units, filing.policies, now)
    return service, FollowUps(service, Access(FakeChat(), None, None), filing, {"jira": tracker})


def test_jira_made_it_but_the_answer_was_lost_within_its_search_lag(
    units, playbooks, now, jira
) -> None:  # type: ignore[no-untyped-def]
    service, follow_ups = _jira_follow_ups(units, playbooks, now, jira)
    incident = declare(service)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(days=3))
    jira.lose_answer("POST", CREATE, 504, GATEWAY)
    assert follow_ups.sync(incident) is False  # made there, answered 504
    for seconds in range(30, 400, 30):  # the timer tries again, well inside the lag
        now.now = T0 + timedelta(seconds=seconds)
        follow_ups.sync(incident)
    assert sorted(jira.issues) == ["PAY-1"]
    [f] = service.get(incident).follow_ups
    assert f.link is not None and f.link.key == "PAY-1"


def test_jira_that_did_not_make_it_gets_it_once_the_lag_is_over(
    units, playbooks, now, jira
) -> None:  # type: ignore[no-untyped-def]
    service, follow_ups = _jira_follow_ups(units, playbooks, now, jira)
    incident = declare(service)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(days=3))
    jira.lose_answer("POST", CREATE, 503, GATEWAY, done=False)
    follow_ups.sync(incident)  # not made, but for all the bot knows it may have been
    now.now = T0 + timedelta(minutes=4)
    follow_ups.sync(incident)
    assert jira.issues == {}  # within the lag: looked for, not made again
    now.now = T0 + timedelta(minutes=6)
    assert follow_ups.sync(incident) is True
    assert sorted(jira.issues) == ["PAY-1"]


def test_github_without_push_access_made_it_and_the_answer_was_lost(units, filing, now) -> None:  # type: ignore[no-untyped-def]
    github = GitHubApiStub(clock=lambda: now.now, drop_labels=True).start()
    github.add_repo("acme/checkout")
    try:
        tracker = GitHubIssues(github.token, github.url, timeout=2)
        service = IncidentService(units, filing.policies, now)
        follow_ups = FollowUps(service, Access(FakeChat(), None, None), filing, {"github": tracker})
        incident = declare(service)
        follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(days=3))
        github.lose_answer("POST", GITHUB_CREATE, 502, {"message": "Server Error"})
        assert follow_ups.sync(incident) is False
        now.now = T0 + timedelta(seconds=30)
        follow_ups.sync(incident)
        [issue] = github.issues("acme/checkout")
        assert issue["labels"] == []
        [f] = service.get(incident).follow_ups
        assert f.link is not None and f.link.key == "acme/checkout#1"
    finally:
        github.stop()


def test_github_lost_answer_then_a_restart_on_another_replica_files_once(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path
) -> None:
    github = GitHubApiStub(drop_labels=True).start()
    github.add_repo("acme/checkout")
    settings = filing_settings(tmp_path, github)
    try:
        github.lose_answer("POST", GITHUB_CREATE, 502, {"message": "Server Error"})
        with running_bot(slack, engine, repo_root, **settings) as a:
            with_follow_up(a, "add retries to the payment client")
            assert a.runtime.service.get(1).follow_ups[0].link is None
        with running_bot(slack, engine, repo_root, **settings) as b:
            start = b.runtime.service.clock()
            for minute in range(1, 30):
                b.runtime.runner.tick(start + timedelta(minutes=minute))
            [f] = b.runtime.service.get(1).follow_ups
            assert len(github.issues("acme/checkout")) == 1
            assert f.link is not None and f.link.key == "acme/checkout#1"
    finally:
        github.stop()


def test_a_sev3_ticket_whose_answer_jira_lost_is_filed_once(
    units: UnitsOfWork, playbooks: Playbooks, now: FixedClock, jira: JiraApiStub
) -> None:
    service, follow_ups = _jira_follow_ups(units, playbooks, now, jira)
    tickets = TrackerTickets(follow_ups, SlackTriageTickets(FakeChat(), None))
    incident = declare(service)
    jira.lose_answer("POST", CREATE, 504, GATEWAY)
    with pytest.raises(TicketNotFiled):
        tickets.file(service.get(incident))
    now.now = T0 + timedelta(seconds=30)
    with pytest.raises(TicketNotFiled, match="may have filed it already"):
        tickets.file(service.get(incident))
    now.now = T0 + timedelta(minutes=3)
    ticket = tickets.file(service.get(incident))
    assert (ticket.reference, sorted(jira.issues)) == ("PAY-1", ["PAY-1"])


def test_a_create_jira_refused_is_not_waited_out(
    units: UnitsOfWork, playbooks: Playbooks, now: FixedClock, jira: JiraApiStub
) -> None:
    """A 4xx says the issue was not made: the next try opens it, without the search lag."""
    service, follow_ups = _jira_follow_ups(units, playbooks, now, jira)
    incident = declare(service)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + timedelta(days=3))
    refused = {"errorMessages": [], "errors": {"summary": "You must specify a summary."}}
    jira.lose_answer("POST", CREATE, 400, refused, done=False)
    assert follow_ups.sync(incident) is False
    now.now = T0 + timedelta(seconds=30)
    assert follow_ups.sync(incident) is True
    assert sorted(jira.issues) == ["PAY-1"]
