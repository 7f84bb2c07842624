"""The shipped drills, played end to end: each must print its golden transcript and pass.

Regenerate the transcripts after a deliberate change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.entrypoints.sandbox import main as drills
from tests.entrypoints.sandbox.support import ROOT, play

DRILLS = sorted((ROOT / "playbooks" / "drills").glob("*.drill"))
GOLDEN = Path(__file__).with_name("golden")


def test_the_drills_the_issues_ask_for_are_shipped() -> None:
    assert [d.stem for d in DRILLS] == [
        "sev1-deploy-rollback",
        "sev1-follow-ups",
        "sev1-status-page",
        "sev2-no-deploy",
        "sev3-ticket",
    ]


@pytest.mark.parametrize("drill", DRILLS, ids=lambda d: d.stem)
def test_a_shipped_drill_passes_and_prints_its_golden_transcript(drill: Path) -> None:
    code, transcript = play(drills.drill_lines(drill))
    golden = GOLDEN / f"{drill.stem}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(transcript, encoding="utf-8")
    assert code == 0, transcript
    assert "0 failed, 0 lines not understood" in transcript
    assert transcript == golden.read_text(encoding="utf-8")


def test_the_same_drill_prints_the_same_transcript_twice() -> None:
    lines = drills.drill_lines(DRILLS[0])
    assert play(lines)[1] == play(lines)[1]


def test_a_failed_expectation_makes_the_command_exit_non_zero(tmp_path: Path) -> None:
    drill = tmp_path / "broken.drill"
    drill.write_text(
        "/incident sev1 checkout is down\nexpect Roll back now\nexpect Incident team assembled\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "sandbox", "--script", str(drill)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == drills.EXPECT_FAILED, done.stdout + done.stderr
    # No deploy was recorded, so there is no rollback advice to find ...
    assert "✗ expect 'Roll back now'" in done.stdout
    # ... while the rest of the drill still ran and its expectation held.
    assert "✓ expect 'Incident team assembled'" in done.stdout
    assert "1 expectations held, 1 failed" in done.stdout


ROUNDED_UP = """\
at 2026-03-14 02:00
/incident sev1 checkout is returning 500s
in #inc-20260314-1
wait 5m59s
/incident ack
wait 11m
/incident update impact="errors" affected=5% action="rolling back" next=30m
expect met 2 minutes late
wait 58m59s
/incident resolve
expect after 1 hour 16 minutes
/incident postmortem
expect | Time to acknowledge | 6 minutes |
expect | 2026-03-14 02:16:59 | 2 minutes | missed |
"""


def test_durations_gone_by_are_rounded_up_never_down() -> None:
    """Acknowledged 5m59s after the declaration reads 6 minutes, not 5 (a Sev1's target); a
    status update 1m59s late reads 2 minutes late; resolved after 1h15m58s, 1 hour 16 minutes."""
    code, transcript = play(ROUNDED_UP.splitlines())
    assert code == 0 and "4 expectations held, 0 failed" in transcript, transcript[-3000:]
