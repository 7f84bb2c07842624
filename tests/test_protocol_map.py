"""docs/protocol-tests.md names real tests: a renamed or deleted test breaks the map loudly."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMED = sorted(
    set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", (ROOT / "docs/protocol-tests.md").read_text()))
)


def test_the_map_names_tests() -> None:
    assert len(NAMED) >= 20


@pytest.mark.parametrize(("path", "name"), NAMED)
def test_every_named_test_exists(path: str, name: str) -> None:
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name, None)), f"{path}::{name} is gone"
