"""Where mrkdwn may be cut: the code fences that count, and grapheme boundaries."""

from __future__ import annotations

import re
import unicodedata

# A ``<…>`` token (its label may hold backticks: not a fence), inline code between single
# backticks on one line (it may hold a run of three: not a fence), or a run of three or more
# backticks (one fence, however long the run).
_MARKUP = re.compile(r"<[^<>\n]*>|(?<!`)`(?!`)[^`\n]*(?:`{2,}[^`\n]*)*(?<!`)`(?!`)|`{3,}")
_ZWJ = "\u200d"


def fences(text: str) -> list[int]:
    """Where each code fence of ``text`` (mrkdwn) starts: runs of three or more backticks,
    outside ``<…>`` tokens and inline code. ``[0, 40]``: a block opened at 0, closed at 40."""
    return [m.start() for m in _MARKUP.finditer(text) if m.group(0).startswith("```")]


def in_code(text: str) -> bool:
    """Whether ``text`` (mrkdwn) ends inside a code block: it opens one it does not close."""
    return len(fences(text)) % 2 == 1


def grapheme_start(text: str, at: int) -> int:
    """``at``, or the start of the grapheme cluster a cut of ``text`` there would split (a
    combining accent, a ZWJ emoji sequence, a flag's pair of regional indicators, a variation
    selector), so that every piece shows whole characters. ``at`` if backing off would reach 0."""
    cut = at
    while 0 < cut < len(text) and _joined(text, cut):
        cut -= 1
    return cut if cut > 0 else at


def _joined(text: str, at: int) -> bool:
    """Whether ``text[at - 1]`` and ``text[at]`` belong to one grapheme cluster."""
    before, after = text[at - 1], text[at]
    if after == _ZWJ or before == _ZWJ or unicodedata.combining(after):
        return True
    if unicodedata.category(after) in ("Mn", "Me", "Mc") or 0xFE00 <= ord(after) <= 0xFE0F:
        return True
    if 0x1F3FB <= ord(after) <= 0x1F3FF:  # a skin tone
        return True
    if _regional(before) and _regional(after):
        run = at
        while run > 0 and _regional(text[run - 1]):
            run -= 1
        return (at - run) % 2 == 1  # an odd count before: inside a pair
    return False


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
