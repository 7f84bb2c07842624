"""A new follow-up as typed: ``<what> [@owner] [due <when>]`` or ``"<what>" [@owner] [due …]``.

Words in quotes are added as they are (never read for a due date or an owner): a quoted text
ends only at the quote that matches the one it opened with (a straight one closes a straight
one, a closing curly one an opening curly one), so an apostrophe inside ``"…"`` is part of the
words, and only an owner and a due date may follow it (``"Retry" button is broken`` is words
that start with a quoted one). After the words (quoted or not) come, in either order, an
``@owner`` and ``due [by|on|in] <when>``: a date (``2026-04-01``) or a time from now (``7d``,
``2w``, ``7 days``).
"""

from __future__ import annotations

import re

from bot.adapters.slack.commands import Command, Syntax, UsageError

_CLOSING = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d", "'": "'", "\u2018": "\u2019"}
"""Each opening quote and the one quote that closes it."""
_MENTION = r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>"
_MENTION_ANYWHERE = re.compile(_MENTION)
_WHEN = r"(\d+\s+[a-z]+|\S+)"
"""A due date as typed: one word (``7d``, ``2026-04-01``) or a number and a unit (``7 days``)."""
_DUE_LAST = re.compile(rf"(?:^|\s)due\s+(?:(?:by|on|in)\s+)?{_WHEN}\s*$", re.IGNORECASE)
_OWNER_LAST = re.compile(rf"(.*?)\s*{_MENTION}\s*$", re.DOTALL)
_OWNER_FIRST = re.compile(rf"\s*{_MENTION}\s*(.*)", re.DOTALL)


def quoted(rest: str) -> tuple[str, str] | None:
    """``rest`` as the words in its opening quotes and what follows the closing one (an owner,
    a due date), or None when it does not open with a quote closed by the last matching one
    that only an owner and a due date follow."""
    stripped = rest.lstrip()
    close = _CLOSING.get(stripped[:1])
    if close is None:
        return None
    inside = stripped[1:]
    ends = [m.start() for m in re.finditer(rf"{re.escape(close)}(?=\s|$)", inside)]
    whole = [at for at in ends if inside[:at].strip() and not _tail(inside[at + 1 :])[0]]
    if not whole:
        return None  # '"Retry" button is broken': words that start with a quoted one
    at = whole[-1]  # 'the users' sessions' @bob: the last quote
    return inside[:at].strip(), inside[at + 1 :].strip()


def addition(verb: Syntax, rest: str) -> Command:
    """A new follow-up: ``words``: ``("add", due as typed or "")``, ``text`` its words,
    ``user`` its owner (None: the one who typed it). Raises UsageError saying what to type."""
    usage = f"`/incident {verb.example}`"
    if not rest.split():
        raise UsageError(f"say what must be done: {usage}")
    inside = quoted(rest)
    if inside is not None:
        what, after = inside
        _, due, owner = _tail(after)
        return Command(verb.name, text=what, user=owner, words=("add", due))
    what, due, owner = _tail(rest)
    if owner is None:
        what, owner = _owner_inside(what)
    if len(_MENTION_ANYWHERE.findall(what)) > 1 and owner is None:
        raise UsageError(f"name its owner last: {usage}")
    if not what:
        raise UsageError(f"say what must be done: {usage}")
    return Command(verb.name, text=what, user=owner, words=("add", due))


def _tail(text: str) -> tuple[str, str, str | None]:
    """``text`` without the owner and the due date that end it (in either order), the due as
    typed ("" if none) and the owner's id (None if no mention ends it)."""
    what, owner = text.strip(), None
    what, due = _due(what)
    ends = _OWNER_LAST.fullmatch(what)
    if ends is not None:
        what, owner = ends.group(1), ends.group(2)
        if not due:
            what, due = _due(what)
    return " ".join(what.split()), due, owner


def _due(text: str) -> tuple[str, str]:
    """``text`` without its trailing ``due [by|on|in] <when>``, and the when ("" if none)."""
    found = _DUE_LAST.search(text)
    if found is None:
        return text, ""
    return text[: found.start()].rstrip(), " ".join(found.group(1).split())


def _owner_inside(what: str) -> tuple[str, str | None]:
    """A mention that begins the words names the owner and leaves them; one inside them
    (``ask @carol to rotate the keys``) stays and, when it is the only one, names the owner."""
    begins = _OWNER_FIRST.fullmatch(what)
    if begins is not None:
        return " ".join(begins.group(2).split()), begins.group(1)
    inside = _MENTION_ANYWHERE.findall(what)
    return what, inside[0] if len(inside) == 1 else None
