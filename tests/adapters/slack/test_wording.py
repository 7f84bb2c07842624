"""The Slack wording of rooms, tickets and post-mortems: the lines people read, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.slack.gateway import SlackFailure
from bot.adapters.slack.tickets import SlackTriageTickets
from bot.adapters.slack.wording.postmortems import SlackPostmortemWording
from bot.adapters.slack.wording.rooms import SlackRoomWording
from bot.adapters.template_samples import HOSTILE, incident_view
from bot.adapters.templates import Templates
from bot.services.rooms import SetupProblem, Step, TicketNotFiled
from tests.services.fakes import FakeChat


@pytest.fixture
def templates(repo_root: Path) -> Templates:
    return Templates(repo_root / "templates")


@pytest.mark.parametrize(
    ("problem", "line"),
    [
        (
            SetupProblem(Step.CREATE_CHANNEL, "conversations.create failed: name_taken"),
            "I could not create the incident channel: conversations.create failed: name_taken",
        ),
        (
            SetupProblem(Step.FIND_MEMBERS, "usergroups.users.list failed: no", "Payments"),
            "I could not find who is in Payments: usergroups.users.list failed: no",
        ),
        (
            SetupProblem(Step.INVITE, "conversations.invite failed: x"),
            "I could not invite everyone: conversations.invite failed: x",
        ),
        (SetupProblem(Step.POST_CARD, "boom"), "I could not post the incident card: boom"),
        (
            SetupProblem(Step.TOPIC, "conversations.setTopic failed: x"),
            "I could not set the channel's topic: conversations.setTopic failed: x",
        ),
        (
            SetupProblem(Step.PIN, "pins.add failed: x"),
            "I could not pin the card: pins.add failed: x",
        ),
        (
            SetupProblem(
                Step.ANNOUNCE,
                "chat.postMessage failed: not_in_channel",
                "C0ANNOUNCE",
                SlackFailure("chat.postMessage", "not_in_channel"),
            ),
            "I could not announce it in <#C0ANNOUNCE>: I am not a member of <#C0ANNOUNCE>. "
            "Invite me there (`/invite @incident-bot`).",
        ),
        (
            SetupProblem(
                Step.INVITE, "x", failure=SlackFailure("conversations.invite", "fatal_error")
            ),
            "I could not invite everyone: Slack is busy or unreachable right now. I keep trying.",
        ),
        (
            SetupProblem(Step.ANNOUNCE, "chat.postMessage failed: x", "C0ANNOUNCE"),
            "I could not announce it in <#C0ANNOUNCE>: chat.postMessage failed: x",
        ),
        (SetupProblem(Step.FILE_TICKET, "down"), "I could not file the ticket: down"),
    ],
)
def test_each_problem_is_told_in_one_line(
    templates: Templates, problem: SetupProblem, line: str
) -> None:
    assert SlackRoomWording(templates).problem(problem) == line


def test_the_topic_escapes_the_title_and_names_are_tried_in_turn(templates: Templates) -> None:
    hostile, _ = incident_view(HOSTILE)
    view, _ = incident_view()
    wording = SlackRoomWording(templates)

    assert "<" not in wording.topic(hostile)
    assert wording.topic(view) == "Sev1 · checkout is returning 500s · /incident help"
    names = list(wording.channel_names(view))
    assert names[:2] == [
        "inc-20260314-1-checkout-is-returning-500s",
        "inc-20260314-1-checkout-is-returning-500s-2",
    ]
    assert len(set(names)) == 19


def test_a_ticket_the_triage_channel_refuses_is_not_filed() -> None:
    view, _ = incident_view()
    chat = FakeChat(failing={"post"})

    with pytest.raises(TicketNotFiled, match="post failed"):
        SlackTriageTickets(chat, "C0TRIAGE").file(view)


def test_without_a_triage_channel_the_ticket_is_only_recorded() -> None:
    view, _ = incident_view()
    chat = FakeChat()

    ticket = SlackTriageTickets(chat, None).file(view)

    assert (ticket.system, ticket.reference, chat.calls) == ("slack-triage", "INC-1", [])


def test_the_draft_asks_names_only_for_slack_user_ids(templates: Templates) -> None:
    view, updates = incident_view()
    asked: list[str] = []

    def person(user_id: str) -> str:
        asked.append(user_id)
        return f"@{user_id.lower()}"

    draft = SlackPostmortemWording(templates).draft(view, updates, person)

    assert asked
    assert all(who.startswith("U0") for who in asked)
    assert "@u0alice" in draft
