"""The post-mortem draft's numbers are the insights' metrics (tests/support/insights.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters import postmortem
from bot.core.insights import Record
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate, StoredIncident
from tests.core.timelines import at
from tests.support.insights import NOW, incident_a, incident_b


def view(record: Record, description: str = "") -> IncidentView:
    stored = StoredIncident(record.id, record.incident, description, events=record.events)
    return IncidentView.of(stored, record.deadlines, NOW)


def update(minute: float, affected: str) -> StatusUpdate:
    impact = f"impact at {minute}"
    return StatusUpdate(at(minute), "U_BOB", impact, affected, "x", timedelta(minutes=30), impact)


def test_time_to_resolve_runs_to_the_last_resolution_of_a_reopened_incident() -> None:
    durations = dict(postmortem.context(view(incident_a()), [], NOW)["durations"])

    assert durations["Time to resolve"] == "1 hour 40 minutes"
    assert durations["Time to first status update"] == "12 minutes"


def test_the_impact_is_the_worst_reported_and_the_last_is_said_too() -> None:
    updates = [
        update(10, "5% of traffic"),
        update(20, "40% of traffic"),
        update(30, "0% of traffic"),
    ]

    found = postmortem.context(view(incident_a()), updates, NOW)

    assert (found["impact"], found["affected"]) == ("impact at 20", "40% of traffic")
    assert found["last_impact"]["affected"] == "0% of traffic"


def test_a_share_of_traffic_outranks_a_count_of_users_and_equals_keep_the_first() -> None:
    users = [update(10, "1,200 users"), update(20, "3% of traffic"), update(30, "3% of traffic")]

    assert postmortem.worst(users) == users[1]
    assert postmortem.worst([update(10, "1 user"), update(20, "12 users")]) == update(
        20, "12 users"
    )
    assert postmortem.worst([]) is None


def test_the_description_typed_at_declaration_is_shown() -> None:
    found = postmortem.context(view(incident_a(), "since the 03:00 deploy"), [], NOW)

    assert found["description"] == "since the 03:00 deploy"


def test_a_late_response_after_a_severity_flip_flop_is_missed_and_replaced_rows_are_counted() -> (
    None
):
    found = postmortem.context(view(incident_b()), [], NOW)

    rows = [(row["what"], row["status"]) for row in found["deadlines"]]
    assert rows == [
        ("on-call engineer responded", "missed"),
        ("status update to stakeholders", "missed"),
    ]
    assert found["replaced"] == 4
