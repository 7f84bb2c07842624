"""The shipped drill playbooks/drills/sev1-follow-ups.drill, with the catalog filing checkout
in Jira (`follow_ups: {jira: PAY}`, as catalog.yaml's comment offers) and its issue names
turned into Jira's: someone resolving PAY-1 in Jira cannot be played. `close PAY-1` is
"name the issue: `close acme/checkout#1`" (bot/entrypoints/sandbox/steps.py _close, and
session._close_issue only knows the GitHub stand-in), so the Jira half of "a drill shows a
Sev1's follow-ups from the post-mortem to done" cannot be shown.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def test_the_follow_ups_drill_plays_on_jira(tmp_path: Path) -> None:
    books = tmp_path / "playbooks"
    shutil.copytree("playbooks", books)
    catalog = books / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(
        text.replace("follow_ups: {github: acme/checkout}", "follow_ups: {jira: PAY}")
    )
    drill = Path("playbooks/drills/sev1-follow-ups.drill").read_text()
    for github, jira in [
        ("github · acme/checkout#1 opened", "jira · PAY-1 opened"),
        ("github · acme/checkout#2 opened", "jira · PAY-2 opened"),
        ("github · acme/checkout#2 closed", "jira · PAY-2 closed"),
        ("expect acme/checkout#1", "expect PAY-1"),
        ("close acme/checkout#1", "close PAY-1"),
    ]:
        assert github in drill
        drill = drill.replace(github, jira)
    script = tmp_path / "jira.drill"
    script.write_text(drill)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.entrypoints.cli",
            "sandbox",
            "--playbooks",
            str(books),
            "--script",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    failed = [
        line for line in out.stdout.splitlines() if "✗" in line or line.lstrip().startswith("!")
    ]
    assert failed == [], "\n".join(failed)
