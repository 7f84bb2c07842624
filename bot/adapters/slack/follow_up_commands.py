"""``/incident follow-up …`` parsed: a new follow-up, or a change to one by its number.

The rule (the command's help says it): a text made of a change word and a follow-up number,
in either order (``1 done``, ``done 1``, ``#1 done``, ``1. done``, ``mark 1 done``), and what
that change takes (``assign 1 to @bob``, ``1 due in 7d``, ``wontdo 3 <why>``), is a change;
so is any text that starts with a number. Any other text adds one (``close 2 open ports``,
``drop 2 old indexes`` are a follow-up's words: after a number, only ``wontdo`` and ``edit``
themselves take words). A follow-up whose words start with a number is added in quotes
(``/incident follow-up "2 more replicas for the payment DB"``). Change words take the natural
synonyms people type and the bot's own replies use ("won't do", "reassign", "close", ...),
apostrophes straight or curly; a number followed by a word that is none of them is answered
with what to type, never added as a new follow-up (nor filed in the tracker); a number too
large to be a follow-up's is answered "no follow-up N".
"""

from __future__ import annotations

import re

from bot.adapters.slack import follow_up_additions as additions
from bot.adapters.slack import numbers
from bot.adapters.slack.commands import Command, Syntax, UsageError, mention
from bot.adapters.slack.mrkdwn import escape, truncate

SYNONYMS: dict[tuple[str, ...], str] = {
    **{(w,): "done" for w in ("done", "close", "closed", "complete", "completed", "finished")},
    **{(w,): "done" for w in ("resolve", "resolved", "fixed")},
    **{(w,): "wontdo" for w in ("wontdo", "won't-do", "wont-do", "drop", "dropped")},
    **{(w,): "wontdo" for w in ("cancel", "canceled", "cancelled")},
    ("won't", "do"): "wontdo",
    ("wont", "do"): "wontdo",
    ("won't", "fix"): "wontdo",
    ("not", "planned"): "wontdo",
    **{(w,): "owner" for w in ("owner", "reassign", "assign", "assignee")},
    **{(w, "to"): "owner" for w in ("reassign", "assign", "assigned")},
    ("owned", "by"): "owner",
    **{(w,): "due" for w in ("due", "reschedule")},
    ("due", "by"): "due",
    ("due", "on"): "due",
    **{(w,): "edit" for w in ("edit", "rename", "reword", "retitle")},
}
"""Change words as typed (lower case, apostrophes straight), one or two words, and the move
each means; the longest match wins (``assign to @bob`` is ``owner @bob``)."""
_NUMBER = re.compile(r"#?([0-9]+)\.?")
"""A follow-up's number as typed: ``1``, ``#1`` or ``1.``, of any length."""
_DUE_WORDS = frozenset({"by", "on", "in"})
_MEANT = frozenset({"wontdo", "won't do", "wont do", "won't-do", "edit"})
"""Change words that take words after the number when typed first (``wontdo 2 covered``):
their synonyms (``drop 2 old indexes``) start a follow-up's words instead."""
WHAT_TO_TYPE = (
    "`<n> done`, `<n> wontdo <why>`, `<n> owner @x`, `<n> due <when>` or `<n> edit <what>`"
)


def follow_up(verb: Syntax, rest: str) -> Command:
    """``<what> [@owner] [due <when>]`` adds one (``words``: ``add``, the due as typed);
    ``<n> done|wontdo <why>|owner @x|due <when>|edit <what>`` (or a synonym; or the change word
    first: ``done 1``, ``assign 1 to @bob``; or ``mark 1 done``) changes follow-up ``n``
    (``words``: the move, ``n``, the due as typed). Raises UsageError saying what to type."""
    if additions.quoted(rest) is not None:
        return additions.addition(verb, rest)
    return _change(verb, rest) or additions.addition(verb, rest)


def _change(verb: Syntax, rest: str) -> Command | None:
    """The change ``rest`` asks for, None if it asks for none (it adds a follow-up)."""
    words = rest.split()
    if not words:
        return None
    lowered = [_plain(w) for w in words]
    if _NUMBER.fullmatch(words[0]):
        number = _number(words[0])
        found = _move(lowered[1:])
        if found is None:
            raise _not_a_change(verb, number, words[1] if len(words) > 1 else "")
        move, used = found
        return _follow_up_move(verb, number, move, words[1 + used :])
    if lowered[0] == "mark" and len(words) > 2 and _NUMBER.fullmatch(words[1]):
        after = words[3:] if lowered[2] == "as" else words[2:]
        found = _move([_plain(w) for w in after])
        if found is not None:
            return _follow_up_move(verb, _number(words[1]), found[0], after[found[1] :])
        return None  # "mark 2 flaky tests as skipped": words to add
    found = _move(lowered)
    if found is None or len(words) <= found[1] or not _NUMBER.fullmatch(words[found[1]]):
        return None
    move, used = found
    after = words[used + 1 :]
    if not _plainly_a_change(move, lowered[:used], after):
        return None  # "close 2 open ports", "drop 2 old indexes": words to add
    return _follow_up_move(verb, _number(words[used]), move, after)


def _plainly_a_change(move: str, named: list[str], after: list[str]) -> bool:
    """Whether a change word then a number (``done 1``) is a change, not the start of a
    follow-up's words: the two alone always are; what follows the number must be what the
    move takes (one mention, after ``to`` or not, for ``owner``; one date for ``due``), and
    a move that takes words (won't do, edit) must be named by its own word, not a synonym."""
    if not after:
        return True
    match move:
        case "done":
            return False
        case "owner":
            return _owner_words(after) is not None
        case "due":
            return _due_words(after) is not None
    return " ".join(named) in _MEANT


def _owner_words(after: list[str]) -> str | None:
    """The one person ``after`` names (``@bob`` or ``to @bob``, a mention or not: one that is
    not is answered), None if it is not that."""
    named = after[1:] if after and after[0].lower() == "to" else after
    if len(named) != 1 or not (named is not after or named[0].startswith(("<@", "@"))):
        return None
    return named[0]


def _due_words(after: list[str]) -> str | None:
    """The due date ``after`` gives (``7d``, ``by 2026-04-01``, ``in 7 days``) as typed,
    None if it is not one date or duration."""
    if after and after[0].lower() in _DUE_WORDS:
        after = after[1:]
    if len(after) == 1 or (len(after) == 2 and after[0].isdigit()):
        return " ".join(after)
    return None


def _plain(word: str) -> str:
    """A word as the synonyms hold it: lower case, curly apostrophes straight."""
    return word.lower().replace("\u2019", "'").replace("\u2018", "'")


def _move(lowered: list[str]) -> tuple[str, int] | None:
    """The move the first words name and how many words name it, longest match first."""
    for size in (2, 1):
        move = SYNONYMS.get(tuple(lowered[:size])) if len(lowered) >= size else None
        if move is not None:
            return move, size
    return None


def _number(word: str) -> int:
    """A follow-up's number as typed (``#2``, ``2.``); one too large to be any follow-up's is
    answered "no follow-up N"."""
    digits = word.lstrip("#").rstrip(".")
    try:
        return numbers.whole(digits)
    except ValueError:
        raise UsageError(
            f"There is no follow-up {escape(truncate(digits, 30))}: "
            "`/incident follow-ups` lists them"
        ) from None


def _not_a_change(verb: Syntax, number: int, word: str) -> UsageError:
    said = f"`{escape(truncate(word, 30))}` is not a change I know" if word else "Say what to do"
    return UsageError(
        f"{said} for follow-up {number}: type "
        f"{WHAT_TO_TYPE.replace('<n>', f'/incident {verb.name} {number}')}. "
        f"To add a follow-up that starts with a number, put it in quotes: "
        f'`/incident {verb.name} "{number} …"`'
    )


def _follow_up_move(verb: Syntax, number: int, move: str, rest: list[str]) -> Command:
    text = " ".join(rest)
    usages = {
        "done": f"/incident {verb.name} {number} done",
        "wontdo": f"/incident {verb.name} {number} wontdo covered by the new alert",
        "owner": f"/incident {verb.name} {number} owner @bob",
        "due": f"/incident {verb.name} {number} due 2026-12-15",
        "edit": f"/incident {verb.name} {number} edit add retries to the payment client",
    }
    usage = f"`{usages[move]}`"
    if move == "done" and rest:
        raise UsageError(f"`done` takes nothing after it: {usage}")
    if move in ("wontdo", "edit") and not text:
        raise UsageError(f"say {'why' if move == 'wontdo' else 'what must be done'}: {usage}")
    if move == "owner":
        who = rest[1:] if rest and rest[0].lower() == "to" else rest
        if len(who) != 1:
            raise UsageError(f"name one person: {usage}")
        user = mention(who[0], usages[move])
        return Command(verb.name, user=user, words=(move, str(number), ""))
    due = _due_words(rest) if move == "due" else ""
    if due is None:
        raise UsageError(f"give one date or duration: {usage}")
    return Command(verb.name, text=text if move != "due" else "", words=(move, str(number), due))
