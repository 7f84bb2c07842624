"""Reviewer r18b: the team deleted the ``<!-- incident-bot begin -->`` comment of a GitHub
issue's body but kept the marker: an update keeps all the team wrote above it and puts the
bot's block fresh where the marker was (it replaced everything above the marker)."""

from __future__ import annotations

from bot.adapters.trackers.github import BEGIN, rewritten
from bot.services.trackers import NewIssue

OLD = NewIssue(
    "add retries",
    "Follow-up 1 of Sev1 incident 7: x\n\nOwner in Slack: alice.",
    "incident-bot:7:1",
    "2026-12-14",
)
NOW = NewIssue(
    "add retries",
    "Follow-up 1 of Sev1 incident 7: x\n\nOwner in Slack: bob.",
    OLD.marker,
    "2026-12-14",
)
MARKER = "<!-- incident-bot:7:1 -->"
TEAM = "## Plan (written on github.com)\n- exponential backoff, 3 tries"


def test_the_teams_text_above_the_marker_stays_when_begin_was_removed() -> None:
    body = f"{TEAM}\n\nOld notes from the bot, kept by the team.\n\n{MARKER}\n\nBelow."
    new = rewritten(body, NOW)
    assert new.startswith(f"{TEAM}\n\nOld notes from the bot, kept by the team.\n\n{BEGIN}")
    assert "Owner in Slack: bob." in new and new.endswith("\n\nBelow.")
    assert new.count(MARKER) == 1 and new.count(BEGIN) == 1


def test_a_body_that_starts_with_the_bots_words_is_the_bots_block() -> None:
    body = f"Follow-up 1 of Sev1 incident 7: x\n\nOwner in Slack: alice.\n\n{MARKER}\n\n{TEAM}"
    new = rewritten(body, NOW)
    assert new.startswith(BEGIN) and "alice" not in new and new.endswith(TEAM)


def test_with_begin_only_the_block_is_replaced() -> None:
    body = f"{TEAM}\n\n{BEGIN}\nOwner in Slack: alice.\n\n{MARKER}\n\nBelow."
    new = rewritten(body, NOW)
    assert new.startswith(f"{TEAM}\n\n{BEGIN}") and "alice" not in new and new.endswith("Below.")
