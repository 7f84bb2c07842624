"""The kinds of protocol deadline and the statuses a deadline can be in."""

from __future__ import annotations

import enum


class DeadlineKind(enum.StrEnum):
    ASSEMBLE = "assemble"
    RESPOND = "respond"
    STATUS_UPDATE = "status_update"
    POSTMORTEM = "postmortem"
    FOLLOW_UP = "follow_up"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    DeadlineKind.ASSEMBLE: "incident team assembled",
    DeadlineKind.RESPOND: "on-call engineer responded",
    DeadlineKind.STATUS_UPDATE: "status update to stakeholders",
    DeadlineKind.POSTMORTEM: "post-mortem published",
    DeadlineKind.FOLLOW_UP: "follow-up done",
}


class DeadlineStatus(enum.StrEnum):
    PENDING = "pending"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"
