"""the sandbox has no Jira stand-in wired in: with `--playbooks` whose catalog files checkout
in Jira (`follow_ups: {jira: PAY}`, as catalog.yaml's comment offers), a follow-up is filed
nowhere and nothing says so (the GitHub one prints `github · acme/checkout#1 opened`).
bot/entrypoints/sandbox/jira_api.py exists but only tests/adapters/trackers use it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

DRILL = """\
at 2026-03-20 09:00
/incident sev1 checkout is returning 500s
in #inc-20260320-1
/incident follow-up add retries to the payment client @bob due 7d
"""


def test_the_sandbox_files_jira_follow_ups_in_a_stand_in(tmp_path: Path) -> None:
    books = tmp_path / "playbooks"
    shutil.copytree("playbooks", books)
    catalog = books / "catalog.yaml"
    text = catalog.read_text()
    assert "follow_ups: {github: acme/checkout}" in text
    catalog.write_text(
        text.replace("follow_ups: {github: acme/checkout}", "follow_ups: {jira: PAY}")
    )
    drill = tmp_path / "jira.drill"
    drill.write_text(DRILL)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.entrypoints.cli",
            "sandbox",
            "--playbooks",
            str(books),
            "--script",
            str(drill),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "PAY-1" in out.stdout
