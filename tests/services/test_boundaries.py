"""The moved use cases reach the world only through ports: no Slack, SQL, HTTP or templates."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services"
ALLOWED = ("bot.core", "bot.playbooks", "bot.services", "bot.alertmanager")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", ["rooms.py", "postmortems.py"])
def test_a_use_case_imports_the_stdlib_the_core_and_the_ports_only(module: str) -> None:
    foreign = {
        name
        for name in imported(SERVICES / module)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
        and not any(name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED)
    }
    assert foreign == set()


@pytest.mark.parametrize("module", ["rooms.py", "postmortems.py"])
def test_a_use_case_does_not_reach_the_web_itself(module: str) -> None:
    web = {"urllib", "http", "socket", "smtplib"}
    assert {name.split(".")[0] for name in imported(SERVICES / module)} & web == set()
