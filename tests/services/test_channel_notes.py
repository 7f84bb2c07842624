"""Channel notes in process: a pinned (or :pushpin:-ed) message noted once, and withdrawn."""

from __future__ import annotations

import threading

import pytest

from bot.core.model import Event, EventKind, Severity
from bot.services.channel_notes import ChannelNotes, PinChange
from bot.services.chat import ChatMessage
from bot.services.incidents import IncidentService
from tests.services.fakes import FakeChat

CHANNEL = "CINC1"
TS = "1700000000.000100"
MESSAGE = ChatMessage("rolled back search to v6", "U0CAROL", "p/1")


@pytest.fixture
def notes(incidents: IncidentService, chat: FakeChat) -> ChannelNotes:
    return ChannelNotes(incidents, chat)


@pytest.fixture
def incident(incidents: IncidentService) -> int:
    declared = incidents.declare(severity=Severity.SEV2, title="search is slow", by="U0ALICE")
    incidents.attach_channel(declared.view.id, CHANNEL, "inc-1-search")
    return declared.view.id


def pin(
    message: ChatMessage | None = None, user: str = "U0BOB", source: str = "pin_added"
) -> PinChange:
    return PinChange(CHANNEL, TS, user, message, source)


def entries(incidents: IncidentService, incident: int) -> list[Event]:
    notes = (EventKind.NOTE_ADDED, EventKind.NOTE_WITHDRAWN)
    return [e for e in incidents.get(incident).events if e.kind in notes]


def test_a_pinned_message_is_noted_as_it_came(
    notes: ChannelNotes, incidents: IncidentService, incident: int, chat: FakeChat
) -> None:
    notes.pinned(pin(MESSAGE))
    [noted] = entries(incidents, incident)
    assert (noted.actor, noted.text, dict(noted.extra)) == (
        "U0BOB",
        "rolled back search to v6",
        {"message_ts": TS, "author": "U0CAROL", "permalink": "p/1", "source": "pin_added"},
    )
    assert chat.calls == []  # everything came with the event


def test_a_pin_and_a_pushpin_on_the_same_message_are_one_entry(
    notes: ChannelNotes, incidents: IncidentService, incident: int, chat: FakeChat
) -> None:
    notes.pinned(pin(MESSAGE))
    notes.pinned(pin(user="U0DISC", source="reaction_added"))
    notes.pinned(pin(MESSAGE))  # a repeat
    assert [e.kind for e in entries(incidents, incident)] == [EventKind.NOTE_ADDED]
    assert chat.calls == []


def test_unpinning_withdraws_the_note_once_and_pinning_again_notes_it_again(
    notes: ChannelNotes, incidents: IncidentService, incident: int
) -> None:
    notes.pinned(pin(MESSAGE))
    notes.unpinned(pin(source="pin_removed"))
    notes.unpinned(pin(user="U0DISC", source="reaction_removed"))  # nothing left to withdraw
    notes.pinned(pin(MESSAGE))
    found = entries(incidents, incident)
    assert [e.kind for e in found] == [
        EventKind.NOTE_ADDED,
        EventKind.NOTE_WITHDRAWN,
        EventKind.NOTE_ADDED,
    ]
    assert (found[1].actor, found[1].text, dict(found[1].extra)) == (
        "U0BOB",
        "unpinned",
        {"message_ts": TS},
    )


def test_a_message_that_did_not_come_along_is_read_with_its_permalink(
    notes: ChannelNotes, incidents: IncidentService, incident: int, chat: FakeChat
) -> None:
    chat.messages[(CHANNEL, TS)] = ChatMessage("db failover finished", "U0CAROL")
    notes.pinned(pin(source="reaction_added"))
    [noted] = entries(incidents, incident)
    assert noted.text == "db failover finished"
    assert noted.extra["permalink"] == "https://chat.example/CINC1/p1700000000000100"
    assert chat.methods == ["message", "permalink"]


def test_a_message_the_chat_will_not_give_is_not_noted(
    notes: ChannelNotes,
    incidents: IncidentService,
    incident: int,
    chat: FakeChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat.fail("message")
    notes.pinned(pin())
    notes.pinned(pin())  # read fine, but there is no such message
    assert entries(incidents, incident) == []
    assert "could not read the pinned message" in caplog.text


def test_without_a_permalink_the_note_is_kept_all_the_same(
    notes: ChannelNotes, incidents: IncidentService, incident: int, chat: FakeChat
) -> None:
    chat.fail("permalink")
    long = ChatMessage("x" * 50_000, "U0CAROL", "")
    notes.pinned(pin(long))
    [noted] = entries(incidents, incident)
    assert noted.extra["permalink"] == ""
    assert noted.text == long.text  # whole: shown shortened where it must be


def test_pins_outside_an_incident_channel_are_ignored(
    notes: ChannelNotes, incidents: IncidentService, incident: int, chat: FakeChat
) -> None:
    elsewhere = PinChange("CRANDOM", TS, "U0BOB", MESSAGE, "pin_added")
    notes.pinned(elsewhere)
    notes.unpinned(elsewhere)
    assert entries(incidents, incident) == []
    assert chat.calls == []


def test_a_pin_and_a_pushpin_arriving_together_note_the_message_once(
    notes: ChannelNotes, incidents: IncidentService, incident: int
) -> None:
    both_have_looked = threading.Barrier(2)  # each has seen it unnoted before either records
    permalink = notes._permalink

    def permalink_then_wait(channel: str, ts: str) -> str | None:
        found = permalink(channel, ts)
        both_have_looked.wait()
        return found

    notes._permalink = permalink_then_wait  # type: ignore[method-assign]
    unlinked = ChatMessage("failed over to the replica", "U0CAROL")
    changes = [pin(unlinked, source="pin_added"), pin(unlinked, source="reaction_added")]
    arriving = [threading.Thread(target=notes.pinned, args=(change,)) for change in changes]
    for thread in arriving:
        thread.start()
    for thread in arriving:
        thread.join()
    assert [e.text for e in entries(incidents, incident)] == ["failed over to the replica"]
