"""A right-to-left override typed in a title stays within it: the bot's words after it keep
their order, in full and when cut to a limit."""

from __future__ import annotations

import pytest

from bot.adapters.slack import inbound, mrkdwn
from bot.core import bidi

RLO, LRE, PDF = "\u202e", "\u202a", "\u202c"
FSI, RLI, PDI = "\u2068", "\u2067", "\u2069"


@pytest.mark.parametrize(
    ("typed", "closed"),
    [
        ("checkout is slow", "checkout is slow"),
        (f"{RLO}wols si tuokcehc", f"{RLO}wols si tuokcehc{PDF}"),
        (f"{RLO}a{PDF} b", f"{RLO}a{PDF} b"),
        (f"{FSI}{RLO}a", f"{FSI}{RLO}a{PDF}{PDI}"),
        (f"{FSI}{RLO}a{PDI} b", f"{FSI}{RLO}a{PDI} b"),  # the isolate's end closes the override
        (f"{RLO}{RLI}a{PDF}", f"{RLO}{RLI}a{PDF}{PDI}{PDF}"),  # a PDF inside an isolate: none
        (f"{PDF}{PDI}a", f"{PDF}{PDI}a"),  # closers with nothing open change nothing
    ],
)
def test_every_opener_is_closed_at_the_end(typed: str, closed: str) -> None:
    assert bidi.closed(typed) == closed
    assert bidi.closed(closed) == closed


def test_a_cut_text_loses_its_unclosed_openers_and_never_grows() -> None:
    typed = f"{RLO}wols si {LRE}tuo{PDF}kcehc"

    assert bidi.cut_closed(typed[:5]) == "wols"
    assert bidi.cut_closed(typed[:12]) == "wols si tu"
    assert bidi.cut_closed(typed) == typed.replace(RLO, "")


def test_what_people_type_is_closed_at_the_door_and_in_mrkdwn() -> None:
    said = f"{RLO}checkout is slow"

    assert inbound._without_nul({"text": [said]}) == {"text": [f"{said}{PDF}"]}
    assert mrkdwn.escape(said).endswith(PDF) and mrkdwn.inert(said).endswith(PDF)
    cut = mrkdwn.truncate(said + " and more words", 10)
    assert len(cut) <= 10 and RLO not in cut
    assert RLO not in mrkdwn.shortened(said + " and more", 12)
    assert all(RLO not in piece for piece in mrkdwn.pieces(said + " and more", 12)[:1])
