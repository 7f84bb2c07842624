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


def inline_code(text: str, endpos: int) -> list[tuple[int, int]]:
    """Where each inline code of ``text[:endpos]`` (mrkdwn: between single backticks, on one
    line; it may hold a run of three, which is then no fence) starts and ends."""
    return [
        m.span()
        for m in _MARKUP.finditer(text, 0, endpos)
        if m.group(0).startswith("`") and not m.group(0).startswith("``")
    ]


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
    if 0xE0020 <= ord(after) <= 0xE007F:  # a tag (a flag's: England, Scotland, Wales)
        return True
    if _hangul_joined(before, after):
        return True
    if _regional(before) and _regional(after):
        run = at
        while run > 0 and _regional(text[run - 1]):
            run -= 1
        return (at - run) % 2 == 1  # an odd count before: inside a pair
    return False


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _jamo(char: str) -> str:
    """A Hangul character's part in a syllable: "L" (a leading consonant), "V" (a vowel), "T"
    (a trailing consonant), "LV" or "LVT" (a whole syllable), else ""."""
    code = ord(char)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _hangul_joined(before: str, after: str) -> bool:
    """Whether two Hangul characters are one syllable (conjoining jamo, as NFD text has it)."""
    first, then = _jamo(before), _jamo(after)
    if first == "L":
        return then in ("L", "V", "LV", "LVT")
    if first in ("LV", "V"):
        return then in ("V", "T")
    return first in ("LVT", "T") and then == "T"
