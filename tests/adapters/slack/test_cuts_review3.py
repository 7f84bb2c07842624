"""Cutting text in pieces and shortening it: what a third outside review found (issue 16)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from bot.adapters.slack import cuts, mrkdwn, updates
from bot.adapters.templates import Templates

TEMPLATES = Templates(Path(__file__).parents[3] / "templates")


class Watched:
    """The protocol words' pattern, noting how much text each search may read."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.read: list[int] = []

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self.read.append(min(endpos, len(text)) - pos)
        return self.pattern.finditer(text, pos, endpos)


def test_pieces_with_protocol_words_read_a_window_not_the_rest() -> None:
    """Each cut searched the whole rest of the text for the protocol words (100 KB of ". "
    took 3.5 s): a search reads at most what a cut at the limit could concern, so cutting
    stays linear (``benchmarks`` has no figure for it; the bound is on the text read)."""
    words = Watched(updates.protocol_words(TEMPLATES))
    found = mrkdwn.pieces(". " * 50_000, mrkdwn.SECTION_LIMIT, cast(Any, words))
    assert all(len(piece) <= mrkdwn.SECTION_LIMIT for piece in found)
    assert words.read and max(words.read) <= 2 * mrkdwn.SECTION_LIMIT + 2


ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
HANGUL = "\u1100\u1161\u11a8"  # 각, decomposed (as macOS NFD text has it)


def _inside(char: str) -> bool:
    return 0xE0020 <= ord(char) <= 0xE007F or 0x1160 <= ord(char) <= 0x11FF


@pytest.mark.parametrize("cluster", [ENGLAND, "a" + HANGUL, HANGUL])
def test_tag_flags_and_conjoining_jamo_are_never_split(cluster: str) -> None:
    text = cluster * (3100 // len(cluster) + 1)
    found = mrkdwn.pieces(text, 3000)
    assert not any(_inside(piece[0]) for piece in found[1:])
    short = mrkdwn.shortened(text, 3000)
    assert short.endswith("…") and not _inside(text[len(short) - 1])
    assert cuts.grapheme_start("x" + ENGLAND, 3) == 1 and cuts.grapheme_start("x" + HANGUL, 3) == 1


@pytest.mark.parametrize(
    "text",
    ["```\n" + "x" * 5000 + "\n```", "a " + "x" * 5000, 'payload:\n{"k":"' + "v" * 5000],
)
def test_shortened_keeps_most_of_the_room_when_the_only_break_is_early(text: str) -> None:
    short = mrkdwn.shortened(text, 3000)
    assert 2000 < len(short) <= 3000 and short.rstrip("`").endswith("…")
    assert not cuts.in_code(short)


@pytest.mark.parametrize("whole", ["&amp;", "<@U0BOB>"])
def test_shortened_hard_cut_keeps_tokens_and_entities_whole(whole: str) -> None:
    text = "a " + "x" * 2994 + whole + "y" * 3000
    short = mrkdwn.shortened(text, 3000)
    assert len(short) <= 3000 and short.endswith("x…")


def _balanced_and_not_empty(found: list[str]) -> bool:
    return all(len(cuts.fences(piece)) % 2 == 0 and piece.strip("` \n") for piece in found)


@pytest.mark.parametrize("k", [2994, 3000, 3003, 3009])
def test_a_block_whose_first_line_is_one_long_word_gives_no_empty_piece(k: int) -> None:
    text = "Error payload:\n```\n" + "x" * k + "\n```\nafter"
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT)
    assert _balanced_and_not_empty(found)
    assert "".join(found).count("x") == k


def test_a_long_run_of_backticks_closing_a_block_at_a_cut_goes_whole() -> None:
    text = "` a ``` b ```````"
    assert cuts.fences(text) == [4, 10]
    found = mrkdwn.pieces(text, 16)
    assert _balanced_and_not_empty(found)
    text = "```\n" + "x" * 2994 + " `````\nafter this, *normal* text"
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT)
    assert _balanced_and_not_empty(found) and found[-1].endswith("`\nafter this, *normal* text")


def test_inline_code_holding_backticks_is_never_cut_in_small_pieces() -> None:
    text = "<@U0BOB>` a ``` b `"
    assert cuts.fences(text) == []
    found = mrkdwn.pieces(text, 16)
    assert all(len(cuts.fences(piece)) % 2 == 0 for piece in found)
    assert found == ["<@U0BOB>", "` a ``` b `"]


def test_inline_code_holding_backticks_is_never_cut_at_a_space_in_it() -> None:
    text = "word " * 597 + "`run a ``` b` then *bold* words " + "more " * 20
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT)
    assert all(len(cuts.fences(piece)) % 2 == 0 for piece in found)
    assert any(piece.startswith("`run a ``` b`") for piece in found)


@pytest.mark.parametrize(
    "text",
    [
        "`" + "a " * 2000 + "``` b` after",
        "`" + "a " * 1400 + "``` b " + "c " * 1000 + "` after" + " d" * 1000,
        "`" + "a " * 1497 + "``` b` after",
    ],
)
def test_inline_code_longer_than_a_piece_leaves_no_open_block(text: str) -> None:
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT)
    assert all(len(cuts.fences(piece)) % 2 == 0 for piece in found)
    assert all(len(piece) <= mrkdwn.SECTION_LIMIT for piece in found)
