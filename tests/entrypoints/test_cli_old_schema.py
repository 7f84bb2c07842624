"""Commands that read the database, on one never migrated or migrated by an older bot: one
line that says to run `incident-bot db upgrade`, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("revision", "command"),
    [
        (None, ["report"]),
        (None, ["postmortem", "export", "--to", "drafts"]),
        ("0013", ["postmortem", "export", "--to", "drafts"]),
    ],
)
def test_a_database_behind_the_code_is_one_line_naming_the_upgrade(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    revision: str | None,
    command: list[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    if revision is not None:
        engine = engines.connect(url)
        migrate.upgrade(engine)
        migrate.downgrade(engine, revision)
        engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    monkeypatch.chdir(tmp_path)

    assert main(command) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "run `incident-bot db upgrade`" in line
