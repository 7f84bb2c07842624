"""Numbers in what Slack sends back to us (a button's value, a form's metadata, a command's
incident number): read strictly, and bounded so the record can hold them."""

from __future__ import annotations

LARGEST = 2**31 - 1  # the record's INTEGER (PostgreSQL's, and within SQLite's)


def whole(text: str) -> int:
    """``text`` as a whole number from 0 to ``LARGEST``, written in ASCII digits; ValueError
    for anything else (a sign, a space, other digits, a number too large)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST)):
        raise ValueError(f"not a number we hold: {text[:20]!r}")
    number = int(text)
    if number > LARGEST:
        raise ValueError(f"a number too large: {text[:20]!r}")
    return number
