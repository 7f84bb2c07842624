"""Cutting text in pieces and shortening it: what a third outside review found (issue 16)."""

from __future__ import annotations

import time
from pathlib import Path

from bot.adapters.slack import mrkdwn, updates
from bot.adapters.templates import Templates

TEMPLATES = Templates(Path(__file__).parents[3] / "templates")


def test_pieces_with_protocol_words_stay_linear() -> None:
    words = updates.protocol_words(TEMPLATES)
    text = ". " * 50_000
    started = time.perf_counter()
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT, words)
    assert time.perf_counter() - started < 0.6  # was 3.5 s: every piece searched all the rest
    assert all(len(piece) <= mrkdwn.SECTION_LIMIT for piece in found)
