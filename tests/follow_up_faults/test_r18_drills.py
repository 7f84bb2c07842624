"""Reviewer r18's drills, played in the sandbox: near-miss follow-up changes are changes (none
filed anew), and the transcript says what an update to an issue changed (not "closed")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.entrypoints.sandbox import main as drills
from tests.entrypoints.sandbox.support import play

DRILLS = sorted(Path(__file__).with_name("drills").glob("*.drill"))


@pytest.mark.parametrize("drill", DRILLS, ids=lambda d: d.stem)
def test_the_drill_passes(drill: Path) -> None:
    code, transcript = play(drills.drill_lines(drill))
    assert code == 0, transcript
    assert "0 failed, 0 lines not understood" in transcript, transcript
