"""The fallback chain, in process: who a notice reaches when the chat refuses it."""

from __future__ import annotations

import pytest

from bot.services.chat import ChatFailure
from bot.services.delivery import Delivery, Reach, Recipients, deliver
from tests.services.fakes import FakeChat, message

EVERYONE = Recipients("CINC1", "CANNOUNCE", "U0IC", "S0TEAM")
TEAM = {"S0TEAM": ["U0IC", "U0PAT", "U0PAZ"]}


@pytest.mark.parametrize(
    ("refusing", "reach", "posted_to"),
    [
        ({}, Reach.INCIDENT_CHANNEL, ["CINC1"]),
        ({"CINC1": "is_archived"}, Reach.ANNOUNCEMENT_CHANNEL, ["CANNOUNCE"]),
        ({"CINC1": "not_in_channel", "CANNOUNCE": "channel_not_found"}, Reach.COMMANDER, ["U0IC"]),
        (
            {"CINC1": "is_archived", "CANNOUNCE": "is_archived", "U0IC": "account_inactive"},
            Reach.OWNING_TEAM,
            ["U0PAT", "U0PAZ"],  # each member but the commander, already refused
        ),
    ],
)
def test_each_permanent_refusal_moves_down_the_chain(
    refusing: dict[str, str], reach: Reach, posted_to: list[str]
) -> None:
    chat = FakeChat(groups=TEAM, refusing=refusing)
    delivery = deliver(chat, EVERYONE, message("overdue"))
    assert (delivery.reach, [p.channel for p in chat.posted]) == (reach, posted_to)
    assert delivery.reference == f"{posted_to[0]}/{chat.posted[0].ts}"
    assert [r.rsplit(": ", 1)[1] for r in delivery.refused] == list(refusing.values())


def test_refused_everywhere_it_reaches_nobody_and_says_why() -> None:
    refusing = dict.fromkeys(["CINC1", "CANNOUNCE", "U0IC", "U0PAT", "U0PAZ"], "account_inactive")
    chat = FakeChat(groups=TEAM, refusing=refusing)
    delivery = deliver(chat, EVERYONE, message("overdue"))
    assert (delivery.reach, delivery.reference, len(delivery.refused)) == (Reach.NOBODY, None, 5)
    assert not delivery.delivered


def test_a_failure_that_is_not_permanent_stops_the_chain_to_be_tried_again() -> None:
    chat = FakeChat(groups=TEAM)
    chat.fail("post")
    with pytest.raises(ChatFailure):
        deliver(chat, EVERYONE, message("overdue"))
    assert chat.posted == []  # nothing went to the next target meanwhile


def test_missing_targets_are_skipped_and_the_channel_is_not_told_twice() -> None:
    chat = FakeChat(refusing={"CANNOUNCE": "is_archived"})
    to = Recipients(None, "CANNOUNCE", None, None)
    assert deliver(chat, to, message("x")) == Delivery(
        Reach.NOBODY, None, ("chat.postMessage failed: is_archived",)
    )
    assert deliver(FakeChat(), Recipients("C1", "C1", None, None), message("x")).reach is (
        Reach.INCIDENT_CHANNEL
    )
