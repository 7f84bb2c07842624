"""Playing sandbox steps in-process, for the sandbox tests."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.entrypoints.sandbox import main as drills
from bot.entrypoints.sandbox.session import Options

ROOT = Path(__file__).resolve().parents[3]


def options(**changes: object) -> Options:
    settings: dict[str, object] = {
        "playbooks_dir": ROOT / "playbooks",
        "templates_dir": ROOT / "templates",
        "tz": ZoneInfo("UTC"),
        "start": drills.DRILL_START,
    }
    settings.update(changes)
    return Options(**settings)  # type: ignore[arg-type]


def play(lines: list[str], **changes: object) -> tuple[int, str]:
    out = io.StringIO()
    code = drills.play(options(**changes), lines, out)
    return code, out.getvalue()
