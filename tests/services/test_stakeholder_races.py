"""Stakeholders when requests race: one announcement, and no stale warning on the card."""

from __future__ import annotations

from datetime import timedelta

from bot.services.incidents import Changed, IncidentService
from bot.services.records import StatusUpdate
from bot.services.rooms import Rooms
from tests.core.timelines import T0
from tests.services.fakes import FakeChat
from tests.services.test_rooms import (  # noqa: F401 - fixtures
    ANNOUNCE,
    chat,
    declare,
    incidents,
    playbooks,
    rooms,
    tickets,
)


def test_an_update_racing_the_set_up_makes_one_announcement(
    rooms: Rooms,  # noqa: F811
    chat: FakeChat,  # noqa: F811
    incidents: IncidentService,  # noqa: F811
) -> None:
    """The set-up (Declaring.set_up) reads the incident, then sets the topic and pins the
    card (two Slack round trips) before announcing with what it read. A status update typed
    in that window announces first (Rooms._announcement); the set-up then announces again
    without looking (resuming=False): two announcements, the first update in the thread of
    the one the bot does not keep current."""
    rooms.open(declare(incidents))
    read_by_the_set_up = incidents.get(1)
    rooms.publish_update(incidents.get(1), "U0ALICE", "checkout errors")  # typed meanwhile
    rooms.furnish(read_by_the_set_up)

    roots = [c for c in chat.calls if c[:2] == ("post", ANNOUNCE) and "announcement" in c[2]]
    assert len(roots) == 1, chat.calls


def _update(service: IncidentService, text: str) -> int:
    update = StatusUpdate(T0, "U0ALICE", text, "10%", "rolling back", timedelta(minutes=15), text)
    changed = service.post_status_update(1, update, lambda now: None)
    assert isinstance(changed, Changed)
    return changed.event.seq


def test_an_older_updates_refusal_told_after_a_newer_update_got_through_is_not_shown(
    incidents: IncidentService,  # noqa: F811
) -> None:
    """Two updates race: the later one reaches every stakeholder channel first, then the
    earlier one's post fails. The card keeps ':warning: Stakeholders were not told ... the
    deadline is met once an update reaches them' although one did (view.stakeholders_not_told
    keeps the older refusal recorded last). Nothing is owed: the newer one told them."""
    declare(incidents)
    first, second = _update(incidents, "errors"), _update(incidents, "fewer errors")
    incidents.stakeholders_told(1, second)
    incidents.stakeholders_not_told(1, first, [(ANNOUNCE, "ratelimited")])

    assert incidents.get(1).untold is None
