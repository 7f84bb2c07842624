"""Signals in process: alerts routed to incidents or offered, first actions, dependency health."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType

import pytest

from bot.core.alerts import Alert
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.playbooks.loader import Playbooks
from bot.services.alerts import AlertRecords
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.ports import UnitsOfWork
from bot.services.signals import Signals, severity_for
from tests.core.timelines import T0
from tests.services.conftest import FixedClock, declare
from tests.services.fakes import FakeChat
from tests.services.signal_fakes import FakeProber, FakeSignalWording

ANNOUNCE = "CANNOUNCE"


def alert(
    name: str = "HighErrorRate",
    service: str | None = "checkout",
    severity: str | None = "critical",
    fingerprint: str = "f1",
) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        name=name,
        severity=severity,
        service=service,
        summary=f"{name} on {service}",
        labels=MappingProxyType({}),
        starts_at=T0 - timedelta(minutes=10),
        ends_at=None,
        url=None,
    )


@pytest.fixture
def prober() -> FakeProber:
    return FakeProber()


@pytest.fixture
def records(units: UnitsOfWork, now: FixedClock) -> AlertRecords:
    return AlertRecords(units, now)


@pytest.fixture
def deploys(units: UnitsOfWork, now: FixedClock) -> DeployService:
    return DeployService(units, now)


def signals_with(
    playbooks: Playbooks,
    incidents: IncidentService,
    deploys: DeployService,
    records: AlertRecords,
    chat: FakeChat,
    prober: FakeProber,
) -> Signals:
    return Signals(
        incidents, deploys, records, chat, FakeSignalWording(), playbooks, ANNOUNCE, prober
    )


@pytest.fixture
def signals(
    playbooks: Playbooks,
    incidents: IncidentService,
    deploys: DeployService,
    records: AlertRecords,
    chat: FakeChat,
    prober: FakeProber,
) -> Signals:
    return signals_with(playbooks, incidents, deploys, records, chat, prober)


def kinds(incidents: IncidentService, incident_id: int) -> list[EventKind]:
    return [event.kind for event in incidents.get(incident_id).events]


# --- alerts ------------------------------------------------------------------------------------


def test_an_alert_of_a_service_with_an_open_incident_is_posted_there_and_recorded(
    signals: Signals, incidents: IncidentService, chat: FakeChat
) -> None:
    incident = declare(incidents)
    signals.alerts_firing([alert(severity="warning")])
    assert chat.texts() == ["firing: HighErrorRate"]
    assert chat.posted[0].channel == "CINC1"
    [event] = [e for e in incidents.get(incident).events if e.kind is EventKind.ALERT_FIRING]
    assert (event.actor, event.text, dict(event.extra)) == (
        "alertmanager",
        "HighErrorRate",
        {"fingerprint": "f1", "service": "checkout"},
    )


def test_an_alert_for_an_incident_without_a_channel_is_only_recorded(
    signals: Signals, incidents: IncidentService, chat: FakeChat
) -> None:
    incident = declare(incidents, in_channel=False)
    signals.alerts_firing([alert()])
    assert chat.posted == []
    assert EventKind.ALERT_FIRING in kinds(incidents, incident)


def test_a_critical_alert_without_an_incident_is_offered_in_the_announcement_channel(
    signals: Signals, incidents: IncidentService, chat: FakeChat
) -> None:
    declare(incidents, services=("search",))  # another service's incident
    signals.alerts_firing([alert(fingerprint="f9"), alert(name="Slow", severity="warning")])
    assert [(p.channel, p.text) for p in chat.posted] == [(ANNOUNCE, "declare? HighErrorRate (f9)")]


def test_without_an_announcement_channel_a_critical_alert_is_not_offered(
    playbooks: Playbooks,
    incidents: IncidentService,
    deploys: DeployService,
    records: AlertRecords,
    chat: FakeChat,
    prober: FakeProber,
) -> None:
    signals = Signals(
        incidents, deploys, records, chat, FakeSignalWording(), playbooks, None, prober
    )
    signals.alerts_firing([alert()])
    assert chat.calls == []


def test_one_alert_the_chat_refuses_does_not_stop_the_next(
    signals: Signals, incidents: IncidentService, chat: FakeChat, caplog: pytest.LogCaptureFixture
) -> None:
    incident = declare(incidents)
    chat.fail("post")
    signals.alerts_firing([alert(name="First", fingerprint="a"), alert(name="Second")])
    assert chat.texts() == ["firing: Second"]
    events = [e.text for e in incidents.get(incident).events if e.kind is EventKind.ALERT_FIRING]
    assert events == ["Second"]  # posted first, recorded after: the refused one is not
    assert "could not pass on an alert" in caplog.text


def test_an_alert_is_found_again_by_its_fingerprint(
    signals: Signals, records: AlertRecords
) -> None:
    records.receive([alert(fingerprint="f7")])
    found = signals.alert("f7")
    assert found is not None and found.name == "HighErrorRate"
    assert signals.alert("nope") is None


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", Severity.SEV1),
        ("page", Severity.SEV1),
        ("warning", Severity.SEV2),
        (None, Severity.SEV2),
    ],
)
def test_an_alert_declares_sev1_when_critical(severity: str | None, expected: Severity) -> None:
    assert severity_for(alert(severity=severity)) is expected


# --- first actions -----------------------------------------------------------------------------


def test_sev1_first_actions_are_the_mitigations_in_the_playbooks_order(
    signals: Signals, incidents: IncidentService, chat: FakeChat
) -> None:
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV1)))
    assert chat.texts("CINC1") == ["mitigate: rollback, failover, scale_up"]


def test_sev2_first_actions_are_deploys_alerts_and_dependency_health(
    signals: Signals,
    incidents: IncidentService,
    deploys: DeployService,
    records: AlertRecords,
    chat: FakeChat,
    prober: FakeProber,
) -> None:
    deploys.record(Deploy("checkout", "v41", T0 - timedelta(hours=2)), source="test")
    deploys.record(Deploy("checkout", "v42", T0 - timedelta(hours=1)), source="test")
    deploys.record(Deploy("search", "v7", T0 - timedelta(minutes=5)), source="test")
    records.receive([alert(name="DiskFull", severity="warning")])
    prober.down = {"127.0.0.1:5432"}
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV2)))
    assert chat.texts("CINC1") == [
        "deploys of checkout: checkout v42, checkout v41",
        "alerts: DiskFull",
        "health: 127.0.0.1:5432 False, http://127.0.0.1:8081/health True",
    ]


def test_services_sharing_a_dependency_probe_it_once(
    signals: Signals, incidents: IncidentService, prober: FakeProber
) -> None:
    view = incidents.get(declare(incidents, services=("checkout", "accounts")))
    signals.dependencies(view)
    assert prober.asked == [["127.0.0.1:5432", "http://127.0.0.1:8081/health"]]


def test_no_listed_dependencies_means_nothing_is_probed(
    signals: Signals, incidents: IncidentService, prober: FakeProber
) -> None:
    view = incidents.get(declare(incidents, services=()))
    assert signals.dependencies(view).text == "no dependencies"
    assert prober.asked == []


def test_checking_dependencies_posts_them_in_the_channel_if_there_is_one(
    signals: Signals, incidents: IncidentService, chat: FakeChat, prober: FakeProber
) -> None:
    prober.down = {"127.0.0.1:5432"}
    health, posted = signals.check_dependencies(incidents.get(declare(incidents)))
    assert posted is True
    assert chat.posted[0].channel == "CINC1"
    assert chat.texts() == [health.text]
    assert "127.0.0.1:5432 False" in health.text
    elsewhere = incidents.get(declare(incidents, in_channel=False))
    assert signals.check_dependencies(elsewhere)[1] is False
    assert len(chat.posted) == 1


def test_without_a_channel_or_offers_no_first_action_is_posted(
    signals: Signals, incidents: IncidentService, chat: FakeChat
) -> None:
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV1, in_channel=False)))
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV3)))  # offers a ticket
    assert chat.calls == []


def test_a_refused_first_action_is_logged_and_stops_the_rest(
    signals: Signals,
    incidents: IncidentService,
    chat: FakeChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat.fail("post")
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV2)))
    assert chat.methods == ["post"]
    assert "could not post the first actions" in caplog.text


def test_the_playbook_decides_which_actions_come_first(
    playbooks: Playbooks,
    incidents: IncidentService,
    deploys: DeployService,
    records: AlertRecords,
    chat: FakeChat,
    prober: FakeProber,
) -> None:
    sev1 = playbooks[Severity.SEV1]
    first = sev1.first_actions.model_copy(update={"offers": ["scale_up", "alerts", "rollback"]})
    changed = sev1.model_copy(update={"first_actions": first})
    books = replace(playbooks, by_severity={**playbooks.by_severity, Severity.SEV1: changed})
    signals = signals_with(books, incidents, deploys, records, chat, prober)
    signals.first_actions(incidents.get(declare(incidents, Severity.SEV1)))
    assert chat.texts() == ["mitigate: rollback, scale_up", "alerts: "]
