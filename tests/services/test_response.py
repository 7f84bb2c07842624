"""Declaring and working an incident in process: the use cases Slack calls, against fakes of the
chat and the wordings, on the real store."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event

from bot.core.access import WHO_MAY, Right
from bot.core.alerts import Alert
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.core.lifecycle import State
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.core.telling import refusals
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotADeclarer, NotPermitted
from bot.services.alerts import AlertRecords
from bot.services.chat import Message
from bot.services.declaring import DATABASE_LOST, Declaration, Declared, Declaring
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.ports import StorageUnavailable, UnitsOfWork
from bot.services.postmortems import Postmortems
from bot.services.records import StatusUpdate
from bot.services.response import (
    IncidentResponse,
    Move,
    NoLongerOpen,
    NotAllowedNow,
    NotInCatalog,
    NotResolvedYet,
    NotTold,
    StakeholdersNotTold,
)
from bot.services.rollback import RollbackAdvisor
from bot.services.rooms import Rooms
from bot.services.signals import Signals
from tests.core.timelines import T0
from tests.services.conftest import FixedClock
from tests.services.fakes import (
    FakeChat,
    FakePostmortemWording,
    FakeRoomWording,
    FakeTickets,
    message,
)
from tests.services.signal_fakes import FakeProber, FakeSignalWording

UPDATE = StatusUpdate(
    T0, "U0BOB", "errors", "5% of traffic", "rolling back", timedelta(minutes=30), "sentence"
)
GROUPS = {"S0PAYMENTS": ["U0PAY1", "U0PAY2"], "S0DECLARERS": ["U0ALICE"]}


class Wordings:
    """The rollback and declaring wordings, as tags naming what was said."""

    def advice(self, view: Any, recommendation: Any, rule: Any) -> Message:
        return message(f"advice {recommendation.advice}")

    def setup_finished(self, view: Any) -> Message:
        return message(f"set up {view.id}")

    def setup_failed(self, problems: list[str]) -> Message:
        return message(f"setup failed: {'; '.join(problems)}")

    def __getattr__(self, name: str) -> Any:
        return lambda *args: message(name)


@dataclass
class World:
    incidents: IncidentService
    chat: FakeChat
    declaring: Declaring
    response: IncidentResponse
    deploys: DeployService
    access: Access

    def declare(self, title: str = "checkout is down", **kwargs: Any) -> Declared:
        declared = self.declaring.declare(Declaration("U0ALICE", Severity.SEV1, title, **kwargs))
        assert isinstance(declared, Declared)
        return declared


@pytest.fixture
def world(units: UnitsOfWork, playbooks: Playbooks, now: FixedClock) -> World:
    incidents = IncidentService(units, playbooks.policies, now)
    chat = FakeChat(groups=GROUPS)
    chat_port: Any = chat
    rooms = Rooms(chat_port, incidents, playbooks, FakeTickets(), FakeRoomWording(), "C0ANNOUNCE")
    deploys = DeployService(units, now)
    access = Access(chat_port, None, None)
    advisor = RollbackAdvisor(incidents, deploys, chat_port, Wordings(), playbooks, None, _no_hook)
    signals = Signals(
        incidents,
        deploys,
        AlertRecords(units, now),
        chat_port,
        FakeSignalWording(),
        playbooks,
        "C0ANNOUNCE",
        FakeProber(),
    )
    postmortems = Postmortems(incidents, chat_port, FakePostmortemWording())
    declaring = Declaring(
        incidents, rooms, access, advisor, signals, playbooks, chat_port, Wordings()
    )
    response = IncidentResponse(incidents, rooms, access, advisor, postmortems, deploys, playbooks)
    return World(incidents, chat, declaring, response, deploys, access)


def said(text: str) -> Any:
    """What the channel is told of a move: always ``text``."""
    return lambda view: message(text)


def _no_hook(url: str, payload: dict[str, Any], secret: str) -> tuple[bool, str]:
    raise AssertionError("no rollback hook is called here")


def test_declaring_names_the_catalogs_services_from_the_title_and_opens_the_room(
    world: World,
) -> None:
    declared = world.declare("checkout and search are down")
    assert declared.view.services == ("checkout", "search")
    assert declared.opening is not None
    assert declared.opening.channel_id == "C1"
    assert ("invite", "C1", frozenset({"U0ALICE", "U0PAY1", "U0PAY2"})) in world.chat.calls


def test_the_same_request_declares_once(world: World) -> None:
    first = world.declare(request_key="T1:trigger-1")
    again = world.declare(request_key="T1:trigger-1")
    assert (again.view.id, again.opening) == (first.view.id, None)
    assert world.chat.methods.count("create_channel") == 1


def test_only_declarers_may_declare_when_a_group_is_set(world: World) -> None:
    world.access.declarers = "S0DECLARERS"
    refused = world.declaring.declare(Declaration("U0MALLORY", Severity.SEV2, "search is slow"))
    assert refused == NotADeclarer("S0DECLARERS")
    assert world.incidents.open_incidents() == []


def test_setting_up_furnishes_the_channel_and_tells_the_declarer_what_failed(
    world: World,
) -> None:
    declared = world.declare()
    world.chat.failing.add("pin")
    world.chat.calls.clear()
    world.declaring.set_up(declared.view.id, "U0ALICE")
    assert "set_topic" in world.chat.methods
    [(channel, user, told)] = world.chat.to("ephemeral")
    assert (channel, user) == ("C1", "U0ALICE")
    assert told.startswith("setup failed: ")


def test_a_database_lost_while_opening_the_room_is_said_as_it_is(world: World) -> None:
    def gone(*_args: object) -> None:
        raise StorageUnavailable("connection refused")

    world.incidents.attach_channel = gone  # type: ignore[method-assign]
    declared = world.declare()
    assert declared.opening is not None
    assert declared.opening.problems == [DATABASE_LOST]  # recorded: do not declare it again
    assert [view.id for view in world.incidents.open_incidents()] == [declared.view.id]
    with world.incidents.units() as uow:
        assert uow.timers.next_fire_at() is not None  # its set-up is owed, in the database


def test_a_channel_made_later_is_linked_from_the_announcement_made_without_it(
    world: World,
) -> None:
    world.chat.fail("create_channel")  # the incident is announced at once, with no channel
    declared = world.declare()
    assert world.chat.texts("C0ANNOUNCE") == ["announcement 1 in None"]
    announcement = world.incidents.get(declared.view.id).announcement_ts
    assert world.declaring.resume(declared.view.id) is True
    assert ("C0ANNOUNCE", announcement, "announcement 1 in C1") in world.chat.to("update")
    assert world.chat.texts("C0ANNOUNCE") == ["announcement 1 in None"]  # not announced twice


def test_a_set_up_finished_later_skips_what_was_done_and_tells_the_declarer(
    world: World,
) -> None:
    world.chat.fail("post", times=1)  # the card
    declared = world.declare()
    world.declaring.set_up(declared.view.id, "U0ALICE")
    assert world.declaring.resume(declared.view.id) is True
    assert world.chat.methods.count("create_channel") == 1
    assert world.chat.methods.count("invite") == 1
    assert [p.text for p in world.chat.posted].count("card 1 investigating") == 1
    assert [t for t in world.chat.texts("C0ANNOUNCE") if t.startswith("announcement")] == [
        "announcement 1 in C1"
    ]
    assert world.chat.to("ephemeral")[-1][2].startswith("set up")
    assert world.declaring.resume(declared.view.id) is True  # nothing left: nothing done
    assert world.chat.methods.count("set_topic") == 1


def test_declaring_from_a_gone_alert_says_so(world: World) -> None:
    assert world.declaring.declare_from_alert("U0ALICE", "no-such-fingerprint") is None


def test_declaring_from_an_alert_starts_when_it_did(world: World, now: FixedClock) -> None:
    started = T0 - timedelta(minutes=25)
    alert = Alert(
        "fp1", "firing", "CheckoutDown", "critical", "checkout", "500s", {}, started, None, None
    )
    AlertRecords(world.incidents.units, now).receive([alert])
    declared = world.declaring.declare_from_alert("U0ALICE", "fp1")
    assert isinstance(declared, Declared)
    assert (declared.view.severity, declared.view.title) == (Severity.SEV1, "CheckoutDown: 500s")
    assert (declared.view.started_at, declared.view.services) == (started, ("checkout",))


def test_a_long_alert_title_is_shortened_after_a_whole_word(world: World, now: FixedClock) -> None:
    started = T0 - timedelta(minutes=3)
    summary = "checkout returns errors for " + "everyone " * 30
    alert = Alert(
        "fp2", "firing", "CheckoutDown", "critical", None, summary, {}, started, None, None
    )
    AlertRecords(world.incidents.units, now).receive([alert])
    declared = world.declaring.declare_from_alert("U0ALICE", "fp2")
    assert isinstance(declared, Declared)
    assert len(declared.view.title) <= 200
    assert declared.view.title.endswith(" everyone…")


def test_a_move_is_recorded_the_card_refreshed_and_the_channel_told(world: World) -> None:
    view = world.declare().view
    world.chat.calls.clear()
    told = said("bob is responding")
    assert world.response.move("U0BOB", view.id, Move(EventKind.ACKNOWLEDGED), told) is None
    assert world.chat.methods == ["update", "update", "post"]  # the card, the announcement
    assert world.chat.to("post") == [("C1", "bob is responding")]
    assert "U0BOB" in world.incidents.get(view.id).responders


def test_steering_is_for_the_people_on_the_incident(world: World) -> None:
    view = world.declare().view
    resolve = Move(EventKind.RESOLVED)
    refused = world.response.move("U0MALLORY", view.id, resolve, said("resolved"))
    assert refused == NotPermitted(Right.END, WHO_MAY[Right.END], None, None, "U0ALICE")
    assert world.response.move("U0ALICE", view.id, resolve, said("resolved")) is None


def test_what_the_lifecycle_forbids_is_refused_and_nothing_said(world: World) -> None:
    view = world.declare().view
    world.chat.calls.clear()
    refused = world.response.move("U0ALICE", view.id, Move(EventKind.CLOSED), said("closed"))
    assert isinstance(refused, NotAllowedNow)
    assert world.chat.calls == []


def test_naming_services_outside_the_catalog_is_refused(world: World) -> None:
    view = world.declare().view
    refused = world.response.name_services("U0ALICE", view.id, ("checkout", "nope"), said("x"))
    assert isinstance(refused, NotInCatalog)
    assert refused.unknown == ("nope",)
    assert world.response.name_services("U0ALICE", view.id, ("search",), said("x")) is None
    assert world.incidents.get(view.id).services == ("search",)


def status_deadlines(world: World, incident_id: int) -> list[DeadlineStatus]:
    view = world.incidents.get(incident_id)
    return [d.status for d in view.deadlines if d.kind is DeadlineKind.STATUS_UPDATE]


def test_a_status_update_that_reaches_stakeholders_meets_the_deadline(world: World) -> None:
    view = world.declare().view
    world.chat.calls.clear()
    assert world.response.post_status_update(view.id, UPDATE) is None
    posts = world.chat.to("post")
    assert [channel for channel, _ in posts] == ["C1", "C0ANNOUNCE"]  # in the announcement's thread
    assert world.chat.posted[-1].thread == world.incidents.get(view.id).announcement_ts
    events = world.incidents.get(view.id).events
    assert [e.kind for e in events[-2:]] == [
        EventKind.STATUS_UPDATE_POSTED,
        EventKind.STAKEHOLDERS_TOLD,
    ]
    assert events[-1].extra["update"] == str(events[-2].seq)
    assert status_deadlines(world, view.id) == [DeadlineStatus.MET, DeadlineStatus.PENDING]


def test_a_status_update_stakeholders_did_not_get_leaves_the_deadline_unmet(
    world: World, now: FixedClock
) -> None:
    view = world.declare().view
    world.chat.refusing["C0ANNOUNCE"] = "not_in_channel"
    with pytest.raises(StakeholdersNotTold) as raised:
        world.response.post_status_update(view.id, UPDATE)
    assert [r.channel for r in raised.value.refused] == ["C0ANNOUNCE"]
    assert raised.value.in_channel is None  # the incident's channel had it
    last = world.incidents.get(view.id).events[-1]
    assert last.kind is EventKind.STAKEHOLDERS_NOT_TOLD
    assert refusals(last) == (("C0ANNOUNCE", "not_in_channel"),)
    assert status_deadlines(world, view.id) == [DeadlineStatus.PENDING, DeadlineStatus.PENDING]
    assert world.chat.to("update")  # the card was refreshed to say so

    now.now = T0 + timedelta(minutes=20)  # the first update was due in 15
    del world.chat.refusing["C0ANNOUNCE"]
    assert world.response.post_status_update(view.id, UPDATE) is None
    first, promised, third = (
        d for d in world.incidents.get(view.id).deadlines if d.kind is DeadlineKind.STATUS_UPDATE
    )
    assert first.late_by == timedelta(minutes=5)  # met late, by the update that got through
    assert promised.status is DeadlineStatus.MET  # the first update's promise: kept in time
    assert third.status is DeadlineStatus.PENDING


def test_a_status_update_only_the_incidents_channel_refused_still_meets_the_deadline(
    world: World,
) -> None:
    view = world.declare().view
    world.chat.refusing["C1"] = "is_archived"
    with pytest.raises(NotTold) as raised:
        world.response.post_status_update(view.id, UPDATE)
    assert not isinstance(raised.value, StakeholdersNotTold)
    assert raised.value.channel == "C1"  # the place that refused it
    assert world.chat.texts("C0ANNOUNCE")[-1].startswith("stakeholders")  # still tried
    assert world.incidents.get(view.id).events[-1].kind is EventKind.STAKEHOLDERS_TOLD
    assert status_deadlines(world, view.id)[0] is DeadlineStatus.MET


def test_no_status_update_once_resolved(world: World) -> None:
    view = world.declare().view
    world.incidents.record(view.id, EventKind.RESOLVED, "U0ALICE")
    update = UPDATE
    assert world.response.post_status_update(view.id, update) == NoLongerOpen()


def test_a_deploy_of_a_service_outside_the_catalog_is_refused(world: World) -> None:
    refused = world.response.record_deploy(Deploy("nope", "v1", T0), source="test")
    assert isinstance(refused, NotInCatalog)
    assert world.deploys.recent() == []
    assert world.response.record_deploy(Deploy("checkout", "v1", T0), source="test") == 0
    assert [d.version for d in world.deploys.recent()] == ["v1"]


def test_a_published_post_mortem_is_refused_while_the_incident_is_open(world: World) -> None:
    view = world.declare().view
    world.chat.calls.clear()
    url = "https://wiki.example/pm-1"
    refused = world.response.publish_postmortem("U0ALICE", view, url)
    assert refused == NotResolvedYet(State.INVESTIGATING)
    assert world.chat.calls == []
    assert EventKind.POSTMORTEM_PUBLISHED not in [
        e.kind for e in world.incidents.get(view.id).events
    ]


def test_a_post_mortem_published_after_resolution_meets_its_deadline(world: World) -> None:
    view = world.declare().view
    world.incidents.record(view.id, EventKind.RESOLVED, "U0ALICE")
    url = "https://wiki.example/pm-1"
    assert world.response.publish_postmortem("U0ALICE", world.incidents.get(view.id), url) is None
    [postmortem] = [
        d for d in world.incidents.get(view.id).deadlines if d.kind is DeadlineKind.POSTMORTEM
    ]
    assert postmortem.status is DeadlineStatus.MET


def test_a_move_the_channel_could_not_hear_is_recorded_and_says_so(world: World) -> None:
    view = world.declare().view
    world.chat.fail("post")
    with pytest.raises(NotTold) as raised:
        world.response.move("U0ALICE", view.id, Move(EventKind.RESOLVED), said("resolved"))
    assert (raised.value.channel, raised.value.said) == ("C1", message("resolved"))
    assert raised.value.view.state is State.RESOLVED
    assert world.incidents.get(view.id).state is State.RESOLVED


def test_the_owning_team_of_a_service_named_later_is_invited_and_told_why(world: World) -> None:
    view = world.declare("search is slow").view  # names search only
    world.chat.calls.clear()
    assert (
        world.response.name_services("U0ALICE", view.id, ("search", "checkout"), said("x")) is None
    )
    [(channel, invited)] = world.chat.to("invite")
    assert (channel, invited) == ("C1", frozenset({"U0PAY1", "U0PAY2"}))  # checkout's team
    assert "invited ['S0PAYMENTS']" in world.chat.texts("C1")
    world.chat.calls.clear()
    world.response.name_services("U0ALICE", view.id, ("search", "checkout"), said("x"))
    assert world.chat.to("invite") == []  # nothing newly named: no one invited again


def test_stakeholders_hear_the_resolution_as_the_last_status_update(world: World) -> None:
    view = world.declare().view
    world.response.post_status_update(view.id, UPDATE)
    assert world.response.move("U0ALICE", view.id, Move(EventKind.RESOLVED), said("ok")) is None
    assert world.chat.texts("C0ANNOUNCE")[-1] == f"resolved {view.id}: {UPDATE.impact}"


def test_a_resolution_stakeholders_could_not_hear_is_recorded_and_says_where(
    world: World,
) -> None:
    view = world.declare().view
    world.chat.fail("post", times=1)  # the channel's news
    with pytest.raises(NotTold) as raised:
        world.response.move("U0ALICE", view.id, Move(EventKind.RESOLVED), said("ok"))
    assert raised.value.channel == "C1"
    assert world.incidents.get(view.id).state is State.RESOLVED
    assert world.chat.texts("C0ANNOUNCE")[-1] == f"resolved {view.id}: "  # told all the same


def test_stakeholders_hear_an_escalation_a_mitigation_and_a_reopening(world: World) -> None:
    view = world.declare("checkout is slow").view
    for move in (
        Move(EventKind.SEVERITY_CHANGED, Severity.SEV2),
        Move(EventKind.MITIGATED),
        Move(EventKind.RESOLVED),
        Move(EventKind.REOPENED),
    ):
        assert world.response.move("U0ALICE", view.id, move, said("ok")) is None
    heard = [t for t in world.chat.texts("C0ANNOUNCE") if not t.startswith("announcement")]
    assert heard == [
        f"severity_changed {view.id}",
        f"mitigated {view.id}",
        f"resolved {view.id}: ",
        f"reopened {view.id}",
    ]


def test_the_rollback_advice_and_the_first_actions_are_noted_in_one_write(
    world: World, engine: Any
) -> None:
    recent = Deploy("checkout", "v2", world.incidents.clock() - timedelta(minutes=30))
    world.deploys.record(recent, source="test")
    declared = world.declare()
    writes: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO events") or statement == "BEGIN IMMEDIATE":
            writes.append(statement.split()[0])

    sqlalchemy_event.listen(engine, "before_cursor_execute", keep)
    try:
        world.declaring.set_up(declared.view.id, "U0ALICE")
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", keep)

    view = world.incidents.get(declared.view.id)
    assert [e.kind for e in view.events][-1] is EventKind.ROLLBACK_ADVISED
    assert not world.declaring.rooms.left_to_do(view)  # set up, the advice with it
    if engine.dialect.name == "sqlite":  # PostgreSQL's BEGIN is not a statement
        assert writes == ["BEGIN", "BEGIN", "INSERT"]  # the topic and pin; advice with actions


def test_a_database_lost_at_the_set_ups_first_write_leaves_the_first_actions_said_once(
    world: World,
) -> None:
    """The topic, pin and announcement are noted before the rollback advice and first actions
    are posted: a write lost there stops the set-up before them, and its timer says each
    once. (Noting the whole set-up in one write at its end was tried for speed and undone:
    its loss had the timer post the advice and first actions again.)"""
    recent = Deploy("checkout", "v2", world.incidents.clock() - timedelta(minutes=30))
    world.deploys.record(recent, source="test")
    declared = world.declare()
    before = Counter(world.chat.texts("C1"))
    note_setup = world.incidents.note_setup

    def lost(*_args: object, **_kwargs: object) -> None:
        raise StorageUnavailable("database is locked")

    world.incidents.note_setup = lost  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        world.declaring.set_up(declared.view.id, "U0ALICE")
    world.incidents.note_setup = note_setup  # type: ignore[method-assign]
    assert world.declaring.resume(declared.view.id) is True
    said = Counter(world.chat.texts("C1")) - before
    assert said and all(times == 1 for times in said.values()), said


def test_a_new_room_is_set_up_reading_the_incident_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the room reads only whether another request announced it meanwhile, and the
    set-up reads the incident once, going on from what it noted."""
    reads: list[str] = []
    for name in ("get", "announcement_ts"):
        real = getattr(world.incidents, name)
        monkeypatch.setattr(
            world.incidents, name, lambda *a, _n=name, _r=real, **k: reads.append(_n) or _r(*a, **k)
        )
    declared = world.declare()
    assert reads == ["announcement_ts"]
    world.declaring.set_up(declared.view.id, "U0ALICE")
    assert reads == ["announcement_ts", "get"]
    assert not world.declaring.rooms.left_to_do(world.incidents.get(declared.view.id))


def test_an_update_by_number_while_a_sev3_ticket_is_filed_is_announced_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The incident is visible once recorded: ``/incident 1 update`` from anywhere, while the
    tracker files its ticket, announces it; the declaring request then finds that
    announcement instead of making another (found by an outside review of a read skipped)."""
    tickets = world.declaring.rooms.tickets
    file = tickets.file

    def slow(view: Any) -> Any:
        with contextlib.suppress(NotTold):  # no channel: stakeholders are told, announced
            world.response.post_status_update(view.id, UPDATE)
        return file(view)

    monkeypatch.setattr(tickets, "file", slow)
    world.declaring.declare(Declaration("U0ALICE", Severity.SEV3, "search is slow"))
    roots = [
        c
        for c in world.chat.calls
        if c[:2] == ("post", "C0ANNOUNCE") and "announcement" in str(c[2])
    ]
    assert len(roots) == 1, roots
