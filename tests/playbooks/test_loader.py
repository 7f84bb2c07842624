"""Playbooks as data: the shipped ones are valid, and every kind of mistake is named precisely."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.deadline_kinds import DeadlineKind
from bot.core.model import Severity
from bot.entrypoints.cli import main
from bot.playbooks import loader
from tests.support.configmaps import mounted

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture
def books(tmp_path: Path) -> Path:
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_shipped_playbooks_carry_the_protocol_defaults() -> None:
    policies = loader.load(SHIPPED).policies
    sev1, sev2, sev3 = (policies[s] for s in Severity)
    assert sev1.response is not None
    assert sev1.response.kind is DeadlineKind.ASSEMBLE
    assert sev1.response.within == timedelta(minutes=5)
    assert sev1.status_updates is not None
    assert sev1.status_updates.first_within == timedelta(minutes=15)
    assert sev1.postmortem is not None
    assert sev1.postmortem.after_resolution == timedelta(hours=48)
    assert sev2.response is not None
    assert sev2.response.within == timedelta(minutes=15)
    assert sev2.status_updates is not None
    assert sev2.status_updates.first_within == timedelta(minutes=30)
    assert sev2.postmortem is None
    assert (sev3.response, sev3.status_updates, sev3.postmortem) == (None, None, None)
    for policy in (sev1, sev2):
        assert policy.rollback is not None
        assert (policy.rollback.window, policy.rollback.urgent) == (
            timedelta(hours=4),
            timedelta(hours=1),
        )


def test_check_playbooks_accepts_the_shipped_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-playbooks", str(SHIPPED)]) == 0
    assert "3 playbooks and 3 services are valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "expected"),
    [
        ("sev1.yaml", "within: 5m", "within: 5 minutes", "response.within", "not a duration"),
        ("sev1.yaml", "within: 5m", "within: 5", "response.within", "not a duration"),
        (
            "sev2.yaml",
            "first_within: 30m",
            "first_within: 0m",
            "status_updates.first_within",
            "not a duration",
        ),
        ("sev1.yaml", "  within: 5m\n", "", "response.within", "is required but missing"),
        (
            "sev1.yaml",
            "meaning: Site down, data-loss risk\n",
            "",
            "meaning",
            "is required but missing",
        ),
        (
            "sev1.yaml",
            "responders: 2 ",
            "responders: 0 ",
            "response.met_when.responders",
            "greater than or equal to 1",
        ),
        ("sev1.yaml", "channel: true", "chanel: true", "chanel", "not a known field"),
        ("sev1.yaml", "urgent: 1h ", "urgent: 5h ", "rollback", "urgent must not be longer"),
        (
            "sev2.yaml",
            "remind_before: [5m]",
            "remind_before: [5m, 5m]",
            "response.remind_before",
            "same lead time twice",
        ),
        (
            "catalog.yaml",
            "user_group: S0PAYMENTS",
            "user_group: payments",
            "services.0.user_group",
            "should match pattern",
        ),
        ("catalog.yaml", "name: search", "name: checkout", "", "repeated: checkout"),
    ],
)
def test_a_bad_playbook_names_the_file_and_the_field(
    books: Path,
    file: str,
    old: str,
    new: str,
    field: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    edit(books / file, old, new)
    assert main(["check-playbooks", str(books)]) == 1
    errors = capsys.readouterr().err
    assert f"{books / file}: {field}" in errors
    assert expected in errors


def test_every_problem_is_reported_not_just_the_first(books: Path) -> None:
    edit(books / "sev1.yaml", "within: 5m", "within: soon")
    edit(books / "sev2.yaml", "within: 15m", "within: later")
    with pytest.raises(loader.InvalidPlaybooks) as raised:
        loader.load(books)
    assert {Path(p.file).name for p in raised.value.problems} == {"sev1.yaml", "sev2.yaml"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: (d / "sev3.yaml").unlink(), "has no playbook for sev3"),
        (lambda d: (d / "catalog.yaml").unlink(), "exactly one `kind: catalog` file, found 0"),
        (lambda d: shutil.copy(d / "sev2.yaml", d / "sev2-copy.yaml"), "a second sev2 playbook"),
        (lambda d: (d / "notes.yaml").write_text("hello: world\n"), "expected `kind: playbook`"),
        (lambda d: (d / "broken.yaml").write_text("kind: [playbook\n"), "cannot be read as YAML"),
    ],
    ids=["missing-severity", "missing-catalog", "duplicate-severity", "unknown-kind", "bad-yaml"],
)
def test_directory_level_problems(books: Path, change: object, expected: str) -> None:
    change(books)  # type: ignore[operator]
    with pytest.raises(loader.InvalidPlaybooks, match=expected):
        loader.load(books)


def test_a_missing_directory_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-playbooks", str(tmp_path / "nope")]) == 1
    assert "nope: is not a directory" in capsys.readouterr().err


def test_a_mounted_configmap_of_playbooks_checks_as_its_plain_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = mounted(SHIPPED, tmp_path / "playbooks", "*.yaml")
    assert main(["check-playbooks", str(folder)]) == 0, capsys.readouterr().err
    assert loader.load(folder).by_severity.keys() == loader.load(SHIPPED).by_severity.keys()


def test_a_folder_it_may_not_read_is_said_so_not_as_missing_playbooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    monkeypatch.setattr(loader.os, "access", lambda path, mode: False)  # as a non-root uid sees 000
    assert main(["check-playbooks", str(folder)]) == 1
    said = capsys.readouterr().err
    assert "books: cannot be read by uid " in said
    assert "has no playbook" not in said
