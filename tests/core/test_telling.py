"""What stakeholders are still owed, read from the timeline."""

from __future__ import annotations

from datetime import timedelta

from bot.core.deadlines import AWAITS_TELLING
from bot.core.model import EventKind
from bot.core.telling import refusals_extra, untold
from tests.core.timelines import Timeline

MARKED = {AWAITS_TELLING: "yes"}


def update(timeline: Timeline, minute: float) -> int:
    timeline.add(
        minute, EventKind.STATUS_UPDATE_POSTED, next_update=timedelta(minutes=30), extra=MARKED
    )
    return timeline.events[-1].seq


def test_an_update_recorded_but_never_told_is_owed_to_every_channel() -> None:
    timeline = Timeline()
    seq = update(timeline, 5)
    owed = untold(timeline.events)
    assert owed is not None and owed.entry.seq == seq and owed.channels is None


def test_the_last_attempt_names_the_channels_still_owed_and_telling_clears_it() -> None:
    timeline = Timeline()
    seq = update(timeline, 5)
    refused = [("C0ANNOUNCE", "not_in_channel"), ("C0EXECS", "is_archived")]
    timeline.add(5, EventKind.STAKEHOLDERS_NOT_TOLD, extra=refusals_extra(seq, refused))
    timeline.add(6, EventKind.STAKEHOLDERS_NOT_TOLD, extra=refusals_extra(seq, refused[1:]))
    owed = untold(timeline.events)
    assert owed is not None and owed.refused == (("C0EXECS", "is_archived"),)
    timeline.add(7, EventKind.STAKEHOLDERS_TOLD, extra={"update": str(seq)})
    assert untold(timeline.events) is None


def test_a_newer_update_told_supersedes_an_older_one_untold() -> None:
    timeline = Timeline()
    first = update(timeline, 5)
    second = update(timeline, 6)
    timeline.add(6, EventKind.STAKEHOLDERS_TOLD, extra={"update": str(second)})
    timeline.add(7, EventKind.STAKEHOLDERS_NOT_TOLD, extra=refusals_extra(first, [("C1", "x")]))
    assert untold(timeline.events) is None


def test_a_resolution_is_owed_only_once_an_attempt_failed() -> None:
    timeline = Timeline()
    update(timeline, 5)
    timeline.add(9, EventKind.RESOLVED)  # before telling counted, or told in a moment
    assert untold(timeline.events) is None
    resolved = timeline.events[-1].seq
    timeline.add(9, EventKind.STAKEHOLDERS_NOT_TOLD, extra=refusals_extra(resolved, [("C1", "x")]))
    owed = untold(timeline.events)
    assert owed is not None and owed.entry.kind is EventKind.RESOLVED
