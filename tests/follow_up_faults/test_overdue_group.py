"""a Sev1 follow-up's first overdue notice already escalates to the escalation group
("Escalating to @sreleads"), although the playbook says `steps: [owner, group]` ("its owner,
then the escalation group too") and the next escalation goes to the owner alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DRILL = """\
at 2026-03-20 09:00
/incident sev1 checkout is returning 500s
in #inc-20260320-1
/incident ic @alice
/incident ack
/incident resolve
/incident follow-up add retries @bob due 1d
wait 1d1m
"""


def test_a_follow_ups_first_overdue_notice_is_for_its_owner(tmp_path: Path) -> None:
    drill = tmp_path / "overdue.drill"
    drill.write_text(DRILL)
    out = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "sandbox", "--script", str(drill)],
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    notice = out.split("*Overdue: follow-up 1*", 1)[1].split("──", 1)[0]
    assert "Owner: @bob." in notice
    assert "Escalating to @sreleads" not in notice  # steps: [owner, group]: the owner first
