from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core import lifecycle, model
from bot.core.model import Event, EventKind, Severity
from tests.core.timelines import Timeline, at


def test_replay_builds_the_incident_the_timeline_describes() -> None:
    timeline = (
        Timeline(Severity.SEV2)
        .commander(1, "U_IC")
        .ack(2, "U_BOB")
        .add(3, EventKind.ROLE_ASSIGNED, subject="U_CAROL", text="comms")
        .add(4, EventKind.SERVICES_CHANGED, extra={"services": "checkout,search"})
        .severity(5, Severity.SEV1)
        .add(6, EventKind.MITIGATED)
    )
    incident = model.replay(timeline.events)
    assert incident.severity is Severity.SEV1
    assert incident.state is lifecycle.State.MITIGATED
    assert incident.commander == "U_IC"
    assert incident.responders == {"U_IC", "U_BOB"}
    assert incident.roles == {"comms": "U_CAROL"}
    assert incident.services == ("checkout", "search")
    assert incident.is_open


def test_the_start_time_defaults_to_the_declaration_and_can_be_earlier() -> None:
    declared = Timeline().events[0]
    assert model.replay([declared]).started_at == at(0)
    earlier = replace(declared, extra={"started_at": (at(0) - timedelta(hours=1)).isoformat()})
    assert model.replay([earlier]).started_at == at(-60)


def test_an_illegal_lifecycle_event_is_refused() -> None:
    timeline = Timeline().add(1, EventKind.RESOLVED).add(2, EventKind.CLOSED)
    timeline.add(3, EventKind.MITIGATED)
    with pytest.raises(lifecycle.IllegalTransition, match="a closed incident cannot mitigate"):
        model.replay(timeline.events)


@pytest.mark.parametrize(
    "events",
    [[], [Event(1, at(0), EventKind.NOTE_ADDED, "U_A")]],
    ids=["empty", "no-declaration"],
)
def test_a_timeline_must_start_with_its_declaration(events: list[Event]) -> None:
    with pytest.raises(model.TimelineError):
        model.replay(events)


def test_a_second_declaration_is_refused() -> None:
    first = Timeline().events[0]
    with pytest.raises(model.TimelineError, match="already exists"):
        model.replay([first, replace(first, seq=2)])
