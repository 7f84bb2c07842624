"""Logging: one JSON object per line on stderr, with secrets redacted wherever they appear.

python-json-logger writes the JSON; we add the fields bound to the current context (request_id,
...) and redact the finished line. The context is a ContextVar, so it follows the code into
worker threads only where the work is submitted with a copy of it (see ``bot.entrypoints.pools``).
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

# Fields every line logged while handling one request carries (request_id, incident_id, ...).
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("log_context", default=MappingProxyType({}))


def request_id() -> str:
    """A new id for one request from Slack (16 hex digits): a correlation id, not a secret, so
    drawn from ``random`` (no system call, a fraction of uuid4's cost in the ack)."""
    return f"{random.getrandbits(64):016x}"


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block, and by work it submits."""
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


# Slack tokens, app tokens and signing-style secrets, and passwords inside URLs.
_PATTERNS = [
    (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"), "xox?-[REDACTED]"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "xapp-[REDACTED]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[REDACTED]"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1[REDACTED]@"),
]
REDACTED = "[REDACTED]"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class JsonFormatter(_LibraryJsonFormatter):
    """time, level, logger, message, the bound fields, ``extra=`` fields and ``error``."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "error"},
            timestamp="time",  # ISO-8601 in UTC, from the record's creation time
        )
        self.redact = redact

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data.update(_CONTEXT.get())  # first, so ``extra=`` fields win over bound ones
        super().add_fields(log_data, record, message_dict)
        log_data["level"] = record.levelname.lower()
        if "exc_info" in message_dict:  # the traceback wins over an ``extra={"error": ...}``
            log_data["error"] = message_dict["exc_info"]

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


# Lines that say nothing an operator acts on, logged by libraries on every start or every
# schema look-up (readiness asks for the revision): Alembic's choice of DDL mode, and Bolt's
# note that it reads SLACK_BOT_TOKEN from the environment while we hand it our own client.
_CHATTER = {
    "alembic": ("Context impl ", "Will assume "),
    "slack_bolt": ("As you gave `client` as well, `token` will be unused",),
}


def _meaningful(record: logging.LogRecord) -> bool:
    chatter = _CHATTER.get(record.name.partition(".")[0], ())
    return not (chatter and record.getMessage().startswith(chatter))


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send every log record through the JSON formatter, redacting ``secrets`` and tokens."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(Redactor(secrets)))
    handler.addFilter(_meaningful)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
