"""GitHub closes an issue "as duplicate" (REST ``state_reason: "duplicate"``, next to
``completed`` and ``not_planned``). Jira's Duplicate resolution makes the follow-up won't do
(bot/adapters/trackers/jira.py NOT_DONE), but GitHub's makes it done, and the post-mortem's
compliance counts it "done on time": bot/adapters/trackers/github.py _issue and
bot/entrypoints/webhooks/trackers.py _github treat everything but "not_planned" as done.
"""

from __future__ import annotations

from bot.adapters.trackers.github import _issue
from bot.adapters.trackers.jira import state_of
from bot.core.follow_ups import FollowUpState
from bot.entrypoints.webhooks.trackers import _github


def test_closed_as_duplicate_is_wont_do_in_both_trackers() -> None:
    jira = state_of(
        {"status": {"statusCategory": {"key": "done"}}, "resolution": {"name": "Duplicate"}}
    )
    item = {
        "number": 3,
        "state": "closed",
        "state_reason": "duplicate",
        "html_url": "u",
        "body": "x\n\n<!-- incident-bot:1:1 -->",
    }
    polled = _issue("acme/checkout", item).state
    hooked = _github(
        {"action": "closed", "issue": item, "repository": {"full_name": "acme/checkout"}},
        {"x-github-event": "issues"},
    )
    assert hooked is not None
    assert (jira, polled, hooked[3]) == (FollowUpState.WONT_DO,) * 3
