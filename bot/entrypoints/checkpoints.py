"""Signed audit checkpoints, written outside the database every AUDIT_CHECKPOINT_SECONDS: one
log line (``audit checkpoint``) and, with AUDIT_CHECKPOINT_FILE, a JSON line appended there.

Each pins the trail as of its newest entry: how many entries up to it, its hash, a digest of
every incident's newest hash then, and the rows of each sealed table (bot/adapters/db/audit.py).
`incident-bot audit verify --checkpoints FILE` checks the database against them: a trail
recomputed, or an incident's shortened with its head moved back, no longer matches what was
signed. On PostgreSQL a checkpoint waits for the appends under way, 5 s at most; one held up
longer is not written (said as the database's error, like one that cannot be read).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import audit
from bot.entrypoints.outages import Outage
from bot.services.clock import Clock

log = logging.getLogger(__name__)


class Checkpoints:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        key: bytes,
        clock: Clock,
        every: float,
        file: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.key = key
        self.clock = clock
        self.every = every  # seconds
        self.file = file
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # each said once when it starts and once when it ends, not once a checkpoint
        self.unread = Outage("audit checkpoint (reading the database)", log, (SQLAlchemyError,))
        self.unwritten = Outage("audit checkpoint (writing AUDIT_CHECKPOINT_FILE)", log, (OSError,))

    def write(self) -> dict[str, object] | None:
        """Sign and write one checkpoint now; None when the database could not be read."""
        try:
            with self.sessions() as session:
                point = audit.checkpoint(session, self.key, self.clock())
        except SQLAlchemyError as error:
            self.unread.failed(error)
            return None
        self.unread.ok()
        log.info("audit checkpoint", extra={"checkpoint": point})
        if self.file is not None:
            try:
                with self.file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(point, sort_keys=True) + "\n")
            except OSError as error:
                self.unwritten.failed(error)
            else:
                self.unwritten.ok()
        return point

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Write the last checkpoint and stop; False if that took more than ``timeout``
        seconds (a database that stopped answering): the thread is left behind, and said."""
        self._stopping.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the last audit checkpoint was not written within %.0f s", timeout)
            return False
        self._thread = None
        return True

    def _loop(self) -> None:
        while not self._stopping.wait(self.every):
            self.write()
        self.write()  # the last word on the way out


def read(lines: list[str]) -> list[dict[str, object]]:
    """Checkpoints from a checkpoint file's lines or from the bot's JSON log lines."""
    return _found(lines, "checkpoint", {"mac", "entries", "head", "rows"}, bare=True)


def sealings(lines: list[str]) -> list[dict[str, object]]:
    """The records of `incident-bot audit seal` (``{"audit_sealing": {"at", "action", "rows",
    "mac"}}``) in a checkpoint file's lines or in the log's."""
    return _found(lines, "audit_sealing", {"mac", "at", "action", "rows"}, bare=False)


def _found(lines: list[str], field: str, keys: set[str], bare: bool) -> list[dict[str, object]]:
    """The JSON objects under ``field`` of the JSON ``lines`` (or, when ``bare``, the lines'
    own objects) that hold every one of ``keys``; other lines are skipped."""
    found: list[dict[str, object]] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        inner = entry.get(field)
        record = inner if isinstance(inner, dict) else (entry if bare else None)
        if isinstance(record, dict) and keys <= set(record):
            found.append(record)
    return found
