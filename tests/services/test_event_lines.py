"""The incident event lines (issue 17) as the incident service writes through the database:
one per committed event, severity with it, nothing for an event refused (not committed), and
the post-mortem's draft one line of its own."""

from __future__ import annotations

import logging

import pytest

from bot.core.lifecycle import IllegalTransition
from bot.core.model import EventKind, Severity
from bot.services.incidents import IncidentService
from tests.services.conftest import declare


def told(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        {k: r.__dict__.get(k) for k in ("incident_id", "event", "actor", "severity")}
        for r in caplog.records
        if r.getMessage().startswith("incident event: ")
    ]


def test_committed_events_are_told_and_refused_ones_are_not(
    incidents: IncidentService, caplog: pytest.LogCaptureFixture
) -> None:
    incident = declare(incidents)
    with caplog.at_level(logging.INFO):
        incidents.record(incident, EventKind.SEVERITY_CHANGED, "U0BOB", severity=Severity.SEV2)
        with pytest.raises(IllegalTransition):
            incidents.record(incident, EventKind.CLOSED, "U0BOB")  # not resolved yet
        incidents.postmortem_drafted(incident, "# Post-mortem: hunter2\n", incidents.clock())
    assert told(caplog) == [
        {
            "incident_id": incident,
            "event": "severity_changed",
            "actor": "U0BOB",
            "severity": "sev2",
        },
        {"incident_id": incident, "event": "postmortem_drafted", "actor": None, "severity": None},
    ]
    assert all("hunter2" not in r.getMessage() for r in caplog.records)
