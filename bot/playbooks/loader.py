"""Load a playbooks directory: every ``*.yaml`` is a playbook or the service catalog."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from bot.core.model import Severity
from bot.core.policy import SeverityPolicy
from bot.playbooks.schema import Catalog, Playbook

_DOCUMENT: TypeAdapter[Playbook | Catalog] = TypeAdapter(
    Annotated[Playbook | Catalog, Field(discriminator="kind")]
)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class InvalidPlaybooks(Exception):
    """A playbooks directory that does not describe a usable protocol."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Playbooks:
    """The protocol a bot runs: one playbook per severity and the service catalog."""

    by_severity: Mapping[Severity, Playbook]
    catalog: Catalog

    def __getitem__(self, severity: Severity) -> Playbook:
        return self.by_severity[severity]

    @cached_property
    def policies(self) -> Mapping[Severity, SeverityPolicy]:
        return {severity: book.to_policy() for severity, book in self.by_severity.items()}


def load(directory: Path) -> Playbooks:
    """Read and validate ``directory``; raise InvalidPlaybooks listing every problem found."""
    if not directory.is_dir():
        raise InvalidPlaybooks([Problem(str(directory), "", "is not a directory")])
    if not os.access(directory, os.R_OK | os.X_OK):  # glob would find nothing, and say so
        raise InvalidPlaybooks(
            [Problem(str(directory), "", f"cannot be read by uid {os.getuid()}")]
        )
    problems: list[Problem] = []
    playbooks: dict[Severity, Playbook] = {}
    catalogs: list[Catalog] = []
    claimed: set[str] = set()  # severities of files that failed, so "missing" is not said too
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        document = _read(path, problems, claimed)
        if isinstance(document, Catalog):
            catalogs.append(document)
        elif isinstance(document, Playbook):
            if document.severity in playbooks:
                problems.append(
                    Problem(
                        str(path),
                        "severity",
                        f"a second {document.severity} playbook; each severity has exactly one",
                    )
                )
            playbooks[document.severity] = document
    problems += _completeness(directory, playbooks, catalogs, claimed)
    if problems:
        raise InvalidPlaybooks(problems)
    return Playbooks(by_severity=playbooks, catalog=catalogs[0])


def _unreadable(path: Path, error: Exception) -> Problem:
    """A file that cannot be read or parsed, in one line: ``file:line:column`` (1-based) and
    PyYAML's problem and its context (``"expected the node content, but found '<stream end>'
    (while parsing a flow node)"``) when PyYAML marks where; its message otherwise."""
    mark = getattr(error, "problem_mark", None)
    if isinstance(error, yaml.MarkedYAMLError) and mark is not None and error.problem:
        said = error.problem + (f" ({error.context})" if error.context else "")
        where = f"{path}:{mark.line + 1}:{mark.column + 1}"
    else:
        said, where = str(error), str(path)
    return Problem(where, "", "cannot be read as YAML: " + " ".join(said.split()))


def _read(path: Path, problems: list[Problem], claimed: set[str]) -> Playbook | Catalog | None:
    try:
        data: Any = _parsed(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(_unreadable(path, error))
        claimed.add(path.stem)  # sev1.yaml unreadable: "no playbook for sev1" would say it twice
        return None
    if not isinstance(data, dict) or data.get("kind") not in ("playbook", "catalog"):
        problems.append(Problem(str(path), "kind", "expected `kind: playbook` or `kind: catalog`"))
        return None
    claimed.add(str(data.get("severity") or data["kind"]))
    try:
        return _DOCUMENT.validate_python(data)
    except ValidationError as error:
        problems.extend(_problems(path, error))
        return None


@lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    """YAML parsed once per process and text (a bot built again re-reads the same files).

    Only validation reads what this returns, and it changes nothing in it.
    """
    return yaml.safe_load(text)


def _problems(path: Path, error: ValidationError) -> list[Problem]:
    found = []
    for detail in error.errors():
        location = [str(part) for part in detail["loc"][1:]]  # [0] is the `kind` tag
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = "is required but missing"
        elif detail["type"] == "extra_forbidden":
            message = "is not a known field (check its spelling)"
        found.append(Problem(str(path), ".".join(location), message))
    return found


def _completeness(
    directory: Path,
    playbooks: Mapping[Severity, Playbook],
    catalogs: list[Catalog],
    claimed: set[str],
) -> list[Problem]:
    problems = [
        Problem(str(directory), "", f"has no playbook for {severity}")
        for severity in Severity
        if severity not in playbooks and severity not in claimed
    ]
    if len(catalogs) > 1 or (not catalogs and "catalog" not in claimed):
        problems.append(
            Problem(
                str(directory), "", f"needs exactly one `kind: catalog` file, found {len(catalogs)}"
            )
        )
    return problems
