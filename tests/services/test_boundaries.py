"""Use cases reach the world only through ports: no service module imports an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services"
ADAPTERS = (
    "slack_sdk",
    "slack_bolt",
    "sqlalchemy",
    "flask",
    "urllib",
    "http",
    "bot.adapters.slack",
    "bot.adapters.db",
    "bot.adapters.templates",
    "bot.adapters.probes",
    "bot.adapters.pagerduty",
    "bot.entrypoints.webhooks",
    "bot.entrypoints.sandbox",
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda path: path.name)
def test_a_service_module_imports_no_adapter(path: Path) -> None:
    adapters = {
        name
        for name in imported(path)
        for adapter in ADAPTERS
        if name == adapter or name.startswith(f"{adapter}.")
    }
    assert not adapters, f"{path.name} imports {sorted(adapters)}"
