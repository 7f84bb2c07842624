"""r18b: Jira: an edit whose comment POST answered 502 after Jira made it, then another edit
before the retry: the summary stays at the first edit for good (same as GitHub's title)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import SHIPPED_PLAYBOOKS, running_bot
from tests.adapters.slack.test_follow_ups import declared


def test_jira_summary_follows_edits_after_a_lost_answer(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path
) -> None:
    for path in SHIPPED_PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    catalog = tmp_path / "catalog.yaml"
    text = catalog.read_text()
    if "follow_ups: {github: acme/checkout}" in text:
        text = text.replace("follow_ups: {github: acme/checkout}", "follow_ups: {jira: PAY}")
    else:
        text = text.replace(
            "    team: Payments\n", "    team: Payments\n    follow_ups: {jira: PAY}\n"
        )
    catalog.write_text(text)
    jira = JiraApiStub().start()
    jira.add_project("PAY")
    try:
        settings = {
            "playbooks_dir": tmp_path,
            "jira_base_url": jira.url,
            "jira_email": "bot@example.com",
            "jira_api_token": "jira-sandbox-token",
        }
        with running_bot(slack, engine, repo_root, **settings) as bot:
            channel = declared(bot)
            bot.command("follow-up add retries to the payment client", channel=channel)
            assert bot.runtime.work.wait_idle()
            [key] = list(jira.issues)
            jira.lose_answer(
                "POST", rf"/rest/api/3/issue/{key}/comment", 502, {"errorMessages": ["x"]}
            )
            bot.command("follow-up 1 edit add retries with jitter", channel=channel)
            assert bot.runtime.work.wait_idle()
            assert jira.issues[key]["fields"]["summary"] == "add retries with jitter"
            bot.command("follow-up 1 edit add retries with jitter and a budget", channel=channel)
            assert bot.runtime.work.wait_idle()
            start = bot.runtime.service.clock()
            for m in range(1, 20):
                bot.runtime.runner.tick(start + timedelta(minutes=m))
            bot.command("follow-up 1 edit add retries with a budget", channel=channel)
            assert bot.runtime.work.wait_idle()
            summary = jira.issues[key]["fields"]["summary"]
            assert summary == "add retries with a budget", summary
    finally:
        jira.stop()
