"""Dependencies point one way: core <- services <- adapters <- entry points (read from imports)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
WORLD = ("slack_sdk", "slack_bolt", "sqlalchemy", "alembic", "flask", "waitress", "urllib", "http")
ADAPTERS = ("bot.adapters",)
ENTRY_POINTS = ("bot.entrypoints", "bot.__main__")


def modules(package: str) -> list[Path]:
    return sorted((BOT.parent / package.replace(".", "/")).rglob("*.py"))


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, wherever the import statement is (functions included)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def offences(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for path in modules(package)
        for name in sorted(set(imported(path)))
        if under(name, forbidden)
    ]


def test_the_core_imports_nothing_of_ours_outside_it_nor_any_library() -> None:
    ours = [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for path in modules("bot.core")
        for name in imported(path)
        if name.split(".")[0] == "bot" and not under(name, ("bot.core",))
    ]
    assert ours == []
    assert offences("bot.core", (*WORLD, "pydantic", "jinja2", "yaml", "apscheduler")) == []


def test_the_protocols_data_imports_only_the_core() -> None:
    ours = [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for path in modules("bot.playbooks")
        for name in imported(path)
        if name.split(".")[0] == "bot" and not under(name, ("bot.core", "bot.playbooks"))
    ]
    assert ours == []
    assert offences("bot.playbooks", WORLD) == []


@pytest.mark.parametrize("forbidden", [WORLD, ADAPTERS, ENTRY_POINTS], ids=lambda f: f[0])
def test_use_cases_reach_the_world_only_through_their_ports(forbidden: tuple[str, ...]) -> None:
    assert offences("bot.services", forbidden) == []


def test_the_slack_adapter_knows_no_database() -> None:
    assert offences("bot.adapters.slack", ("sqlalchemy", "alembic", "bot.adapters.db")) == []


def test_adapters_do_not_reach_back_into_the_entry_points() -> None:
    assert offences("bot.adapters", ENTRY_POINTS) == []


def test_only_the_sandbox_command_imports_the_sandbox() -> None:
    importers = {
        path.relative_to(BOT.parent).as_posix()
        for path in BOT.rglob("*.py")
        if not path.is_relative_to(BOT / "entrypoints" / "sandbox")
        and any(under(name, ("bot.entrypoints.sandbox",)) for name in imported(path))
    }
    assert importers == {"bot/entrypoints/cli.py"}
