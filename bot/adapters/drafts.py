"""Post-mortem drafts on disk, in POSTMORTEM_DIR: the Drafts port's file-system adapter."""

from __future__ import annotations

from pathlib import Path


class DraftFolder:
    """Keeps each draft as a UTF-8 file in ``directory``, made when the first draft is saved."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, name: str, text: str) -> str:
        """Write ``directory/name`` (replacing it); returns its path. Raises OSError."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        path.write_text(text, encoding="utf-8")
        return str(path)
