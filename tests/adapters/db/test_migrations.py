"""Every migration goes down and up again, so a bot image can be rolled back across one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate


def run(tmp_path: Path, *words: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "db", *words],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"},
        cwd=tmp_path,
    )
    return finished.stdout.strip()


def test_down_to_nothing_and_back_up(tmp_path: Path) -> None:
    engine = engines.connect(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        migrate.upgrade(engine)
        head = migrate.head(engine)
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        assert migrate.current(engine) == head
    finally:
        engine.dispose()


def test_the_command_line_steps_back_one_revision(tmp_path: Path) -> None:
    assert run(tmp_path, "upgrade") == "database is at revision 0014"
    assert run(tmp_path, "downgrade", "-1") == "database is at revision 0012"
    assert run(tmp_path, "upgrade") == "database is at revision 0014"
