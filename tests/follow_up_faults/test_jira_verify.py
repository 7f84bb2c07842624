"""r18 (verification, passes): Jira end to end in process: real JiraIssues against the stand-in,
real FollowUps, the webhook intake with a signed jira:issue_updated."""

from __future__ import annotations

import json

from bot.adapters import signing
from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import FollowUpState
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.webhooks.trackers import TrackerIntake
from bot.playbooks.schema import ServiceFollowUps
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from tests.services.conftest import declare, with_service
from tests.services.fakes import FakeChat


def test_jira_both_ways(incidents, playbooks) -> None:
    stub = JiraApiStub().start()
    stub.add_project("PAY")
    try:
        jira = JiraIssues(stub.url, "bot@example.com", "jira-sandbox-token")
        filing = with_service(
            playbooks, "checkout", follow_ups=ServiceFollowUps(jira="PAY", issue_type="Bug")
        )
        follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {"jira": jira})
        incident = declare(incidents)
        for what in ("add retries", "alert on budget", "rotate keys"):
            follow_ups.add("U0ALICE", incident, what, "U0BOB")
        assert follow_ups.sync(incident)
        keys = [f.link.key for f in incidents.get(incident).follow_ups]
        # closed in Jira as Won't Do, webhook
        stub.resolve(keys[0], "Won't Do")
        issue = {"key": keys[0], "fields": stub.issues[keys[0]]["fields"]}
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue}).encode()
        intake = TrackerIntake(follow_ups, "sek")
        assert intake.receive(body, {"x-hub-signature": signing.sign(body, "sek")})[0] == 200
        # done here, the screen takes no resolution
        stub.resolution_on_screen = False
        follow_ups.drop("U0BOB", incident, 2, "covered")
        follow_ups.done("U0BOB", incident, 3)
        assert follow_ups.sync(incident)
        states = [f.state for f in incidents.get(incident).follow_ups]
        assert states == [FollowUpState.WONT_DO, FollowUpState.WONT_DO, FollowUpState.DONE]
        assert all(
            v["fields"]["status"]["statusCategory"]["key"] == "done" for v in stub.issues.values()
        )
    finally:
        stub.stop()
