"""Playbooks with second-long deadlines, for end-to-end tests of the real timers."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Shipped text -> fast text, per file (every occurrence is replaced).
FAST = {
    "sev1.yaml": [
        ("within: 5m", "within: 3s"),
        ("remind_before: [2m]", "remind_before: [1s]"),
        ("first_within: 15m", "first_within: 6s"),
        ("remind_before: [5m]", "remind_before: [3s]"),
        ("due_after_resolution: 48h", "due_after_resolution: 4s"),
        ("remind_before: [24h, 4h]", "remind_before: [2s]"),
    ],
    "sev2.yaml": [
        ("within: 15m", "within: 3s"),
        ("first_within: 30m", "first_within: 6s"),
        ("remind_before: [5m]", "remind_before: [2s]"),
    ],
}


def fast_playbooks(target: Path, routing_key: str | None = None) -> Path:
    """Copy the shipped playbooks into ``target`` with deadlines of seconds."""
    target.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "playbooks").glob("*.yaml"):
        shutil.copy(path, target / path.name)
    for name, changes in FAST.items():
        text = (target / name).read_text()
        for old, new in changes:
            assert old in text, f"{old!r} is no longer in {name}"
            text = text.replace(old, new)
        (target / name).write_text(text)
    if routing_key:
        catalog = (target / "catalog.yaml").read_text()
        catalog = catalog.replace(
            "    user_group: S0PAYMENTS\n",
            f"    user_group: S0PAYMENTS\n    pagerduty_routing_key: {routing_key}\n",
            1,
        )
        (target / "catalog.yaml").write_text(catalog)
    return target
