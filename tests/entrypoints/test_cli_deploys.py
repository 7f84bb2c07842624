"""`incident-bot deploys record`, as a pipeline runs it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.db import engine as engines
from bot.adapters.db.unit_of_work import units_of_work
from bot.services.deploys import DeployService


def record(tmp_path: Path, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "deploys", "record", *words],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"},
    )


def test_a_pipeline_records_a_deploy(tmp_path: Path) -> None:
    done = record(
        tmp_path,
        "--service",
        "Checkout",
        "--version",
        "v42",
        "--deployer",
        "ci",
        "--commit",
        "abc123",
        "--at",
        "2026-11-26T03:14:00Z",
    )
    assert done.returncode == 0, done.stderr
    assert "recorded checkout v42" in done.stdout
    assert "revision" not in done.stdout  # the deploy is the news, not the schema
    engine = engines.connect(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    try:
        service = DeployService(
            units_of_work(engines.sessions(engine)), lambda: datetime(2026, 11, 26, 4, tzinfo=UTC)
        )
        [deploy] = service.recent()
    finally:
        engine.dispose()
    assert (deploy.service, deploy.version, deploy.commit, deploy.deployer) == (
        "checkout",
        "v42",
        "abc123",
        "ci",
    )
    assert deploy.finished_at == datetime(2026, 11, 26, 3, 14, tzinfo=UTC)


def test_a_time_without_a_zone_is_refused_in_one_line(tmp_path: Path) -> None:
    done = record(tmp_path, "--service", "checkout", "--version", "v1", "--at", "2026-11-26 03:14")
    assert done.returncode == 2
    assert done.stderr.strip() == "incident-bot: --at: the time needs a zone (Z or +00:00)"
