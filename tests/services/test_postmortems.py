"""Post-mortems in process: the draft kept in the database, uploaded; the published one recorded;
the drafts exported to a folder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters import drafts
from bot.adapters.db.postmortems import Postmortems as PostmortemRows
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind, Severity
from bot.playbooks import loader
from bot.services.incidents import IncidentService
from bot.services.postmortems import Postmortems
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate
from tests.core.timelines import T0
from tests.services.fakes import FakeChat, FakePostmortemWording


@pytest.fixture
def incidents(sessions: sessionmaker[Session], repo_root: Path) -> IncidentService:
    policies = loader.load(repo_root / "playbooks").policies
    return IncidentService(units_of_work(sessions), policies, lambda: T0)


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat(names={"U0ALICE": "@alice", "U0BOB": "@bob"})


@pytest.fixture
def postmortems(incidents: IncidentService, chat: FakeChat) -> Postmortems:
    return Postmortems(incidents, chat, FakePostmortemWording())


def declare(incidents: IncidentService, channel: str | None = "C1") -> IncidentView:
    view = incidents.declare(severity=Severity.SEV2, title="search is slow", by="U0ALICE").view
    if channel is not None:
        incidents.attach_channel(view.id, channel, "inc-1")
    for author in ("U0BOB", "U0ALICE"):
        update = StatusUpdate(T0, author, "slow", "all", "tuning", timedelta(minutes=30), "...")
        incidents.post_status_update(view.id, update, lambda _: None)
    return incidents.get(view.id)


def test_the_draft_is_kept_in_the_database_and_uploaded(
    postmortems: Postmortems, chat: FakeChat, incidents: IncidentService
) -> None:
    view = declare(incidents)

    text = postmortems.write(view)

    assert text == "draft 1 by @alice, @bob, @alice"
    name = "incident-1-postmortem.md"
    assert chat.to("upload") == [("C1", text, name, "Post-mortem draft: incident 1")]
    with incidents.units() as uow:
        recorded = uow.postmortems.get(view.id)
    assert recorded is not None
    assert (recorded.draft, recorded.drafted_at) == (text, T0)


def test_each_person_in_the_draft_is_asked_of_the_chat_once(
    postmortems: Postmortems, chat: FakeChat, incidents: IncidentService
) -> None:
    postmortems.write(declare(incidents))

    assert chat.to("name") == [("U0ALICE",), ("U0BOB",)]


def test_without_a_channel_the_draft_is_kept_but_not_uploaded(
    postmortems: Postmortems, chat: FakeChat, incidents: IncidentService
) -> None:
    text = postmortems.write(declare(incidents, channel=None))

    assert "upload" not in chat.methods
    with incidents.units() as uow:
        recorded = uow.postmortems.get(1)
    assert recorded is not None
    assert recorded.draft == text


def test_the_published_url_is_recorded_and_the_channel_told(
    postmortems: Postmortems, chat: FakeChat, incidents: IncidentService
) -> None:
    view = declare(incidents)

    after = postmortems.published(view, "https://wiki.example/pm-1", "U0BOB", lambda _: None)

    assert not isinstance(after, str)
    assert after.events[-1].kind is EventKind.POSTMORTEM_PUBLISHED
    assert chat.to("post") == [("C1", "U0BOB published https://wiki.example/pm-1")]
    with incidents.units() as uow:
        recorded = uow.postmortems.get(view.id)
    assert recorded is not None
    assert (recorded.published_url, recorded.published_by, recorded.published_at) == (
        "https://wiki.example/pm-1",
        "U0BOB",
        T0,
    )


def test_the_drafts_are_exported_to_a_folder_only_when_asked(
    postmortems: Postmortems,
    incidents: IncidentService,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    first = postmortems.write(declare(incidents))
    second = postmortems.write(declare(incidents, channel=None))
    folder = tmp_path / "exported"
    assert not folder.exists()  # writing a draft wrote no file

    with sessions() as session:
        everything = drafts.export(PostmortemRows(session).drafts(), folder)
        one = drafts.export(PostmortemRows(session).drafts(2), tmp_path / "one")

    assert [p.name for p in everything] == [
        "incident-1-postmortem.md",
        "incident-2-postmortem.md",
    ]
    assert [p.read_text(encoding="utf-8") for p in everything] == [first, second]
    assert one == [tmp_path / "one" / "incident-2-postmortem.md"]


def test_a_refused_publication_records_and_says_nothing(
    postmortems: Postmortems, chat: FakeChat, incidents: IncidentService
) -> None:
    view = declare(incidents)
    chat.calls.clear()

    refused = postmortems.published(view, "https://wiki.example/pm-1", "U0X", lambda _: "no")

    assert refused == "no"
    assert chat.calls == []
    assert incidents.get(view.id).events[-1].kind is not EventKind.POSTMORTEM_PUBLISHED
