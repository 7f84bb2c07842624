"""Tracker webhooks as GitHub and Jira send them: which deliveries close a follow-up, and how
(done, or won't do), and which are only acknowledged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bot.adapters import signing
from bot.core.follow_ups import FollowUpState
from bot.entrypoints.webhooks.trackers import TrackerIntake
from bot.services.follow_ups import FollowUps

SECRET = "tracker-webhook-secret"


class Closing:
    """What the intake asked of the follow-ups."""

    def __init__(self) -> None:
        self.closed: list[tuple[int, int, FollowUpState, str | None]] = []
        self.when: list[datetime | None] = []

    def closed_in_tracker(
        self,
        incident_id: int,
        number: int,
        state: FollowUpState,
        key: str | None = None,
        closed_at: datetime | None = None,
    ) -> bool:
        self.closed.append((incident_id, number, state, key))
        self.when.append(closed_at)
        return True


def deliver(payload: dict[str, Any], **headers: str) -> tuple[int, Closing]:
    closing = Closing()
    body = json.dumps(payload).encode()
    signed = {"x-hub-signature-256": signing.sign(body, SECRET), **headers}
    status, _ = TrackerIntake(cast(FollowUps, closing), SECRET).receive(body, signed)
    return status, closing


def github(reason: str | None, action: str = "closed") -> dict[str, Any]:
    issue = {"number": 4, "state_reason": reason, "body": "x\n\n<!-- incident-bot:7:2 -->"}
    return {"action": action, "issue": issue, "repository": {"full_name": "acme/checkout"}}


def jira(event: str, resolution: str | None) -> dict[str, Any]:
    status = {"name": "Done", "statusCategory": {"key": "done"}}
    fields = {
        "status": status,
        "resolution": {"name": resolution} if resolution else None,
        "labels": ["incident-bot", "incident-bot-7-2"],
    }
    return {"webhookEvent": event, "issue": {"key": "PAY-4", "fields": fields}}


@pytest.mark.parametrize(
    ("reason", "state"),
    [("completed", FollowUpState.DONE), ("not_planned", FollowUpState.WONT_DO)],
)
def test_a_github_issue_closed_closes_its_follow_up_as_it_was_closed(
    reason: str, state: FollowUpState
) -> None:
    status, closing = deliver(github(reason), **{"x-github-event": "issues"})
    assert status == 200
    assert closing.closed == [(7, 2, state, "acme/checkout#4")]


@pytest.mark.parametrize(
    ("event", "resolution", "state"),
    [
        ("jira:issue_updated", "Done", FollowUpState.DONE),
        ("jira:issue_updated", None, FollowUpState.DONE),
        ("jira:issue_updated", "Won't Do", FollowUpState.WONT_DO),
        ("jira:issue_updated", "Duplicate", FollowUpState.WONT_DO),
        ("jira:issue_deleted", "Done", None),
        ("jira:issue_created", "Done", None),
        ("comment_created", "Done", None),
    ],
)
def test_only_a_jira_issue_updated_into_done_closes_its_follow_up(
    event: str, resolution: str | None, state: FollowUpState | None
) -> None:
    status, closing = deliver(jira(event, resolution))
    if state is None:
        assert (status, closing.closed) == (202, [])
    else:
        assert (status, closing.closed) == (200, [(7, 2, state, "PAY-4")])


def test_a_github_issue_reopened_or_edited_closes_nothing() -> None:
    for action in ("reopened", "edited", "deleted"):
        status, closing = deliver(github(None, action), **{"x-github-event": "issues"})
        assert (status, closing.closed) == (202, [])


def test_a_close_says_when_the_tracker_closed_it() -> None:
    """GitHub's ``closed_at`` and Jira's ``resolutiondate``: whether it was done on time is
    the tracker's time, not when the delivery came."""
    closed = github("completed")
    closed["issue"]["closed_at"] = "2026-03-20T09:55:00Z"
    _, by_github = deliver(closed, **{"x-github-event": "issues"})
    resolved = jira("jira:issue_updated", "Done")
    resolved["issue"]["fields"]["resolutiondate"] = "2026-03-20T09:55:00.000+0000"
    _, by_jira = deliver(resolved)
    at = datetime(2026, 3, 20, 9, 55, tzinfo=UTC)
    assert (by_github.when, by_jira.when) == ([at], [at])
