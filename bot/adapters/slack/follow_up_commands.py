"""``/incident follow-up …`` parsed: a new follow-up, or a change to one by its number.

The rule (the command's help says it): text that starts with a follow-up's number (``1`` or
``#1``), or with a change word, a number and what that change takes (``done 1``, ``assign 2
@bob``, ``wontdo 3 <why>``), changes that follow-up; any other text adds one (``close 2 open
ports`` is a follow-up's words). A follow-up whose words start with a number is added in quotes
(``/incident follow-up "2 more replicas for the payment DB"``). Change words take the natural
synonyms people type and the bot's own replies use ("won't do", "reassign", "close", ...),
apostrophes straight or curly; a number followed by a word that is none of them is answered
with what to type, never added as a new follow-up (nor filed in the tracker).
"""

from __future__ import annotations

import re

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
_NUMBER = re.compile(r"#?([0-9]{1,10})")
_QUOTE = "\"'\u201c\u201d\u2018\u2019"
_QUOTED = re.compile(rf"\s*[{_QUOTE}](.+?)[{_QUOTE}](?=\s|$)(.*)", re.DOTALL)
"""Words in quotes first (straight or curly): added as they are, whatever they start with;
an owner and a due date may follow the closing quote."""
_DUE = re.compile(r"(?:^|\s)due\s+(\S+)\s*$", re.IGNORECASE)
_MENTION_ANYWHERE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
WHAT_TO_TYPE = (
    "`<n> done`, `<n> wontdo <why>`, `<n> owner @x`, `<n> due <when>` or `<n> edit <what>`"
)


def follow_up(verb: Syntax, rest: str) -> Command:
    """``<what> [@owner] [due <when>]`` adds one (``words``: ``add``, the due as typed);
    ``<n> done|wontdo <why>|owner @x|due <when>|edit <what>`` (or a synonym; or the change word
    first: ``done 1``) changes follow-up ``n`` (``words``: the move, ``n``, the due as typed).
    Raises UsageError saying what to type."""
    quoted = _QUOTED.fullmatch(rest)
    if quoted is not None:
        return _addition(verb, f"{quoted.group(1).strip()} {quoted.group(2).strip()}")
    return _change(verb, rest) or _addition(verb, rest)


def _change(verb: Syntax, rest: str) -> Command | None:
    """The change ``rest`` asks for, None if it asks for none (it adds a follow-up)."""
    words = rest.split()
    if not words:
        return None
    lowered = [_plain(w) for w in words]
    if _NUMBER.fullmatch(words[0]):
        number = _number(verb, words[0])
        found = _move(lowered[1:])
        if found is None:
            raise _not_a_change(verb, number, words[1] if len(words) > 1 else "")
        move, used = found
        return _follow_up_move(verb, number, move, words[1 + used :])
    found = _move(lowered)
    if found is None or len(words) <= found[1] or not _NUMBER.fullmatch(words[found[1]]):
        return None
    move, used = found
    after = words[used + 1 :]
    if not _plainly_a_change(move, lowered[:used], after):
        return None  # "close 2 open ports", "drop 2 old indexes": words to add
    return _follow_up_move(verb, _number(verb, words[used]), move, after)


def _plainly_a_change(move: str, named: list[str], after: list[str]) -> bool:
    """Whether a change word then a number (``done 1``) is a change, not the start of a
    follow-up's words: what follows the number must be what the move takes (nothing after
    ``done``, one mention after ``owner``, one date after ``due``), and a move that takes
    words (won't do, edit) must be named by its own word, not a synonym."""
    match move:
        case "done":
            return not after
        case "owner":
            return len(after) == 1 and after[0].startswith("<@")
        case "due":
            return len(after) == 1
    return " ".join(named) in {"wontdo", "won't do", "wont do", "won't-do", "edit"}


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


def _number(verb: Syntax, word: str) -> int:
    try:
        return numbers.whole(word.lstrip("#"))
    except ValueError:
        raise UsageError(
            f"`{escape(truncate(word, 20))}` is not a follow-up's number: "
            f"`/incident {verb.name}s` lists them"
        ) from None


def _not_a_change(verb: Syntax, number: int, word: str) -> UsageError:
    said = f"`{escape(truncate(word, 30))}` is not a change I know" if word else "Say what to do"
    return UsageError(
        f"{said} for follow-up {number}: type "
        f"{WHAT_TO_TYPE.replace('<n>', f'/incident {verb.name} {number}')}. "
        f"To add a follow-up that starts with a number, put it in quotes: "
        f'`/incident {verb.name} "{number} …"`'
    )


def _addition(verb: Syntax, rest: str) -> Command:
    usage = f"`/incident {verb.example}`"
    if not rest.split():
        raise UsageError(f"say what must be done: {usage}")
    what, due = _due(rest)
    what, owner = _owner(what.strip())
    if len(_MENTION_ANYWHERE.findall(what)) > 1 and owner is None:
        raise UsageError(f"name its owner last: {usage}")
    if not what:
        raise UsageError(f"say what must be done: {usage}")
    return Command(verb.name, text=what, user=owner, words=("add", due))


def _owner(what: str) -> tuple[str, str | None]:
    """A follow-up's words and its owner: a mention that ends (or begins) it names the owner
    and leaves the sentence; one inside the sentence (``ask @carol to rotate the keys``)
    stays in it and, when it is the only one, names the owner too."""
    ends = re.fullmatch(rf"(.*?)\s*{_MENTION_ANYWHERE.pattern}", what, re.DOTALL)
    if ends is not None:
        return " ".join(ends.group(1).split()), ends.group(2)
    begins = re.fullmatch(rf"{_MENTION_ANYWHERE.pattern}\s*(.*)", what, re.DOTALL)
    if begins is not None:
        return " ".join(begins.group(2).split()), begins.group(1)
    inside = _MENTION_ANYWHERE.findall(what)
    return " ".join(what.split()), inside[0] if len(inside) == 1 else None


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
        if len(rest) != 1:
            raise UsageError(f"name one person: {usage}")
        return Command(
            verb.name, user=mention(rest[0], usages[move]), words=(move, str(number), "")
        )
    if move == "due" and len(rest) != 1:
        raise UsageError(f"give one date or duration: {usage}")
    due = rest[0] if move == "due" else ""
    return Command(verb.name, text=text if move != "due" else "", words=(move, str(number), due))


def _due(text: str) -> tuple[str, str]:
    """``text`` without its trailing ``due <when>``, and the when as typed ("" if none)."""
    match = _DUE.search(text)
    if match is None:
        return text, ""
    return text[: match.start()], match.group(1)
