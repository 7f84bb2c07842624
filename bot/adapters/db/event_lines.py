"""One INFO log line per timeline event, written once the unit of work that appended it has
committed (an event rolled back is never told), so an incident's life reads in the log:
``{"message": "incident event: declared", "incident_id": 12, "event": "declared", "seq": 1,
"actor": "U0ALICE", "severity": "sev2"}``.

No free text a person typed (titles, notes, status update text, reasons) is logged: only the
incident's id, the event's kind and sequence number, who (a Slack user id, or the part of the
bot that acted) and the severity when the event sets one. (The post-mortem's draft, which
is not a timeline event, is told the same way by the incident service.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.core.model import Event

log = logging.getLogger(__name__)


def told(committed: Iterable[tuple[int, Event]]) -> None:
    """Log each ``(incident_id, event)`` just committed, in the order appended."""
    for incident_id, event in committed:
        fields: dict[str, object] = {
            "incident_id": incident_id,
            "event": event.kind.value,
            "seq": event.seq,
            "actor": event.actor,
        }
        if event.severity is not None:
            fields["severity"] = str(event.severity)
        log.info("incident event: %s", event.kind.value, extra=fields)
