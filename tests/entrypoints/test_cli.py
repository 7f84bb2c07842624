"""The command line: help imports nothing heavy, usage errors exit 2, ``db downgrade -1`` parses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "check-playbooks",
    "check-templates",
    "serve",
    "sandbox",
    "deploys",
    "audit",
    "postmortem",
    "db",
]
HELPS = [
    ["--help"],
    ["-h"],
    *([command, "--help"] for command in COMMANDS),
    ["deploys", "record", "--help"],
    ["audit", "verify", "--help"],
    ["audit", "export", "--help"],
    ["postmortem", "export", "--help"],
    ["db", "upgrade", "--help"],
    ["db", "downgrade", "-h"],
]
HEAVY = {"sqlalchemy", "alembic", "pydantic", "pydantic_settings", "slack_bolt", "slack_sdk"}
HEAVY |= {
    "flask",
    "jinja2",
    "yaml",
    "bot.entrypoints.app",
    "bot.entrypoints.settings",
    "bot.entrypoints.sandbox",
}


def imports(*argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime ARGV`` (what ``incident-bot`` runs); the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, modules


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


@pytest.fixture(scope="module")
def bare_interpreter() -> set[str]:
    return imports("-c", "pass")[1]


@pytest.mark.parametrize("words", HELPS, ids=" ".join)
def test_help_imports_only_click_and_the_standard_library(
    words: list[str], bare_interpreter: set[str]
) -> None:
    done, modules = imports("-m", "bot", *words)
    assert done.returncode == 0, done.stderr
    assert "Usage: incident-bot" in done.stdout
    assert heavy(modules) == set()
    beyond = {m for m in modules - bare_interpreter if m.split(".")[0] != "click"}
    extra = beyond - {"bot", "bot.entrypoints", "bot.entrypoints.cli", "bot.__main__"}
    assert {m for m in extra if m.split(".")[0] not in sys.stdlib_module_names} == set()


def test_only_the_sandbox_command_imports_the_sandbox() -> None:
    done, modules = imports("-m", "bot", "check-playbooks", "playbooks")
    assert done.returncode == 0, done.stderr
    assert "pydantic" in modules  # the command itself ran ...
    assert {
        m for m in modules if m.startswith("bot.entrypoints.sandbox")
    } == set()  # ... without the sandbox


def test_help_lists_every_command_in_order_with_its_whole_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines if line.startswith("  ") and line.strip()]
    assert [word for word in listed if word in COMMANDS] == COMMANDS
    assert main(["sandbox", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "try the bot without Slack: a local drill with a clock you move" in text
    assert "--tz TZ the timezone times are shown in (default: UTC)" in text
    assert main(["db", "downgrade", "--help"]) == 0
    assert "REVISION: e.g. 0005, or -1 for one step back" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ([], "Missing command."),
        (["nope"], "No such command 'nope'."),
        (["db"], "Missing command."),
        (["db", "downgrade"], "Missing argument 'REVISION'."),
        (["db", "downgrade", "--bogus"], "No such option"),  # click 8.1 and 8.2+ word it apart
        (["db", "downgrade", "-1", "extra"], "Got unexpected extra argument (extra)"),
        (["deploys", "record", "--version", "v1"], "Missing option '--service'."),
        (["serve", "--port", "eighty"], "'eighty' is not a valid integer."),
        (["check-playbooks", "a", "b"], "Got unexpected extra argument (b)"),
    ],
)
def test_a_usage_error_exits_2_naming_it(
    words: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 2
    assert error in capsys.readouterr().err


def test_db_downgrade_takes_a_negative_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'd.sqlite3'}")

    def revision(*words: str) -> int:
        assert main(["db", *words]) == 0
        return int(capsys.readouterr().out.split()[-1])

    head = revision("upgrade")
    one_back = revision("downgrade", "-1")
    assert one_back < head
    assert revision("downgrade", "--", "-1") < one_back
    assert revision("upgrade") == head


def test_a_configuration_error_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    assert main(["db", "upgrade"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("incident-bot: configuration error: DATABASE_URL")


def test_postmortem_export_writes_the_drafts_kept_in_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from bot.adapters.db import engine as engines
    from bot.adapters.db import migrate
    from bot.adapters.db.unit_of_work import units_of_work
    from bot.core.model import Severity
    from bot.playbooks import loader
    from bot.services.incidents import IncidentService

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'pm.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = engines.connect(url)
    migrate.upgrade(engine)
    now = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    policies = loader.load(ROOT / "playbooks").policies
    service = IncidentService(units_of_work(engines.sessions(engine)), policies, lambda: now)
    incident = service.declare(severity=Severity.SEV2, title="search", by="U0ALICE").view.id
    service.postmortem_drafted(incident, "# Post-mortem: search\n", now)
    engine.dispose()

    assert main(["postmortem", "export", "--to", "out"]) == 0
    written = tmp_path / "out" / f"incident-{incident}-postmortem.md"
    assert capsys.readouterr().out.split() == ["out/" + written.name]
    assert written.read_text(encoding="utf-8") == "# Post-mortem: search\n"
    assert main(["postmortem", "export", "--incident", "99"]) == 1
    assert capsys.readouterr().out.strip() == "no post-mortem draft for incident 99 yet"


def test_a_folder_the_drafts_cannot_be_written_to_is_one_line_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    test_postmortem_export_writes_the_drafts_kept_in_the_database(tmp_path, monkeypatch, capsys)
    capsys.readouterr()
    (tmp_path / "a-file").write_text("")  # no folder can be made under it, even by root
    for args, env in ((["--to", "a-file/drafts"], None), ([], "a-file/drafts")):
        if env:
            monkeypatch.setenv("POSTMORTEM_DIR", env)
        assert main(["postmortem", "export", *args]) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith("incident-bot: configuration error: cannot write the drafts to")
        assert "POSTMORTEM_DIR, or --to," in line


def test_a_revision_this_image_does_not_know_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "downgrade", "0099"]) == 2  # e.g. a newer image's, from an older image
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("incident-bot: cannot migrate: Can't locate revision")
    assert "this image knows up to" in line
