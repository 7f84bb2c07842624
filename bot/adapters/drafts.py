"""Post-mortem drafts written out of the database into a folder, when an operator asks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.services.postmortems import filename


def export(drafts: Iterable[tuple[int, str]], directory: Path) -> list[Path]:
    """Write each (incident id, draft) as ``directory/incident-N-postmortem.md`` (UTF-8,
    replacing an older file), making the folder if needed; the files written. Raises OSError."""
    written: list[Path] = []
    for incident_id, text in drafts:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / filename(incident_id)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
