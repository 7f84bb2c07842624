"""Right-to-left overrides and other bidirectional controls kept within the text that holds
them: a title typed with an unclosed U+202E (RIGHT-TO-LEFT OVERRIDE) would otherwise reverse
the bot's own words after it ("due 05:30" shown as "03:50 eud"), in Slack and in any file.

The Unicode Bidirectional Algorithm (UAX #9) closes an embedding or override with U+202C (POP
DIRECTIONAL FORMATTING) and an isolate with U+2069 (POP DIRECTIONAL ISOLATE); ``closed``
appends what is missing, ``cut_closed`` (for text cut to a limit) takes the unclosed openers
out instead, so the text never grows past its limit.
"""

from __future__ import annotations

import re

_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_POP_EMBEDDING = "\u202c"
_POP_ISOLATE = "\u2069"
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _unclosed(text: str) -> list[int]:
    """The positions of the openers still open at the end of ``text``, innermost last."""
    opened: list[int] = []
    for at, char in enumerate(text):
        if char in _EMBEDDINGS or char in _ISOLATES:
            opened.append(at)
        elif char == _POP_EMBEDDING:
            if opened and text[opened[-1]] in _EMBEDDINGS:  # ignored if an isolate is inner
                opened.pop()
        elif char == _POP_ISOLATE and any(text[o] in _ISOLATES for o in opened):
            while text[opened.pop()] not in _ISOLATES:  # closes the embeddings inside it too
                pass
    return opened


def closed(text: str) -> str:
    """``text`` with every embedding, override and isolate it opens closed at its end."""
    if not _CONTROLS.search(text):
        return text
    opened = _unclosed(text)
    return text + "".join(
        _POP_ISOLATE if text[at] in _ISOLATES else _POP_EMBEDDING for at in reversed(opened)
    )


def cut_closed(text: str) -> str:
    """``text`` (cut short) with the openers it leaves open taken out: no longer than it was."""
    if not _CONTROLS.search(text):
        return text
    opened = set(_unclosed(text))
    return "".join(char for at, char in enumerate(text) if at not in opened)
