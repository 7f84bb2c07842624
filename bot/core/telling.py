"""What stakeholders have not heard yet: the last status update or resolution meant for them that
did not reach every stakeholder channel, read from the timeline.

A status update (recorded since telling counts, ``AWAITS_TELLING``) or a change they hear of
(severity, mitigation, resolution, reopening) is told
when ``STAKEHOLDERS_TOLD`` names it; each attempt that left channels untold is one
``STAKEHOLDERS_NOT_TOLD`` naming them and why. Only the last such entry is owed: a newer update
that reached everyone tells them what the older one would have. A status update with no outcome
at all was recorded by a process that stopped before telling (it is owed to every channel); a
resolution with none is not (resolutions recorded before telling counted have none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.deadlines import AWAITS_TELLING
from bot.core.model import Event, EventKind

TOLD_CHANGES = frozenset(
    {
        EventKind.SEVERITY_CHANGED,
        EventKind.MITIGATED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
    }
)
"""Besides status updates, what stakeholders hear of (their telling recorded since it counts;
one recorded before, with no outcome, is not owed)."""


@dataclass(frozen=True)
class Untold:
    entry: Event
    """The status update or resolution not heard by every stakeholder channel."""
    refused: tuple[tuple[str, str], ...] | None
    """(channel, the chat's error code) of the last attempt; None: never tried, tell them all."""

    @property
    def channels(self) -> tuple[str, ...] | None:
        return None if self.refused is None else tuple(c for c, _ in self.refused)


def refusals_extra(update: int, refused: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A STAKEHOLDERS_NOT_TOLD entry's ``extra``: the entry it is about and what refused it."""
    return {"update": str(update), "refused": json.dumps([list(r) for r in refused])}


def refusals(event: Event) -> tuple[tuple[str, str], ...]:
    """(channel, error code) of each channel a STAKEHOLDERS_NOT_TOLD entry names."""
    try:
        found = json.loads(event.extra.get("refused", "[]"))
    except ValueError:
        return ()
    if not isinstance(found, list):
        return ()
    return tuple((str(r[0]), str(r[1])) for r in found if isinstance(r, list) and len(r) == 2)


def untold(events: Iterable[Event]) -> Untold | None:
    """What stakeholders are still owed, if anything."""
    ordered = sorted(events, key=lambda e: e.seq)
    tellable = [
        e
        for e in ordered
        if e.kind in TOLD_CHANGES
        or (e.kind is EventKind.STATUS_UPDATE_POSTED and AWAITS_TELLING in e.extra)
    ]
    if not tellable:
        return None
    entry = tellable[-1]
    outcomes = [
        e
        for e in ordered
        if e.kind in (EventKind.STAKEHOLDERS_TOLD, EventKind.STAKEHOLDERS_NOT_TOLD)
        and e.extra.get("update") == str(entry.seq)
    ]
    if not outcomes:  # a change's telling is recorded as it happens
        return Untold(entry, None) if entry.kind is EventKind.STATUS_UPDATE_POSTED else None
    last = outcomes[-1]
    if last.kind is EventKind.STAKEHOLDERS_TOLD:
        return None
    return Untold(entry, refusals(last))
