"""`incident-bot report` with the database unreachable, or without a playbooks folder: one
line and exit 2, as every other command, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("case", "database"),
    [
        ("database down", "postgresql+psycopg://postgres@127.0.0.1:1/x"),
        ("no playbooks folder here", "sqlite:///{tmp}/report.sqlite3"),
    ],
)
def test_report_fails_in_one_line(case: str, database: str, tmp_path: Path) -> None:
    here = tmp_path if "playbooks" in case else ROOT
    env = {**os.environ, "DATABASE_URL": database.format(tmp=tmp_path)}
    env.pop("PLAYBOOKS_DIR", None)
    failed = subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", "report", "--since", "7d"],
        env=env,
        cwd=here,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in failed.stderr, failed.stderr[-400:]
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert failed.returncode == 2
