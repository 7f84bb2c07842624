"""A folder laid out as the kubelet mounts a ConfigMap: each file a link ``name -> ..data/name``,
``..data`` a link to a hidden ``..<timestamp>/`` folder holding the real files."""

from __future__ import annotations

from pathlib import Path


def mounted(source: Path, target: Path, pattern: str = "*") -> Path:
    """``target`` holding the files of ``source`` matching ``pattern`` as a mounted ConfigMap."""
    hidden = target / "..2026_12_01_10_00_00.123456789"
    hidden.mkdir(parents=True)
    for path in sorted(source.glob(pattern)):
        (hidden / path.name).write_bytes(path.read_bytes())
        (target / path.name).symlink_to(Path("..data") / path.name)
    (target / "..data").symlink_to(hidden.name, target_is_directory=True)
    return target
