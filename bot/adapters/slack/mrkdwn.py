"""Slack mrkdwn: escaping what people typed, and the tokens Slack renders for each reader."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TypeVar

from bot.adapters.slack import cuts
from bot.core import bidi

SECTION_LIMIT = 3000  # a section block's text (Block Kit)
NOTICE_SECTIONS = 8  # 24,000 characters: any sentence a command or a form can hold, whole
TOPIC_LIMIT = 250  # a channel's topic (conversations.setTopic), as sent: escaped
FALLBACK_LIMIT = 4000  # a message's plain text, for notifications: Slack's advice (40k at most)
T = TypeVar("T")
_FORMAT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_USER_ID = re.compile(r"[UWB][A-Z0-9]{2,}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_URL = re.compile(r"https?://[^\s<>|]+")


def inert(text: str) -> str:
    """Plain text (a form's input, a name) as mrkdwn that shows it as it is: ``&``, ``<``
    and ``>`` escaped, so nothing in it is markup."""
    return bidi.closed(text.translate(_FORMAT_ESCAPES))


def escape(text: str) -> str:
    """What people typed, in Slack's markup (a command's text, a message), made safe to show:
    mentions of people, channel links and links stay as Slack showed them; ``@here``,
    ``@channel``, ``@everyone`` and user groups become their words, notifying no one; any
    other ``<…>``, ``&``, ``<`` or ``>`` is escaped. Text already escaped stays as it is, so
    plain text comes out as ``inert`` makes it."""
    return bidi.closed(_PIECES.sub(_shown, text))


def by_id(chat_id: str) -> str:
    """A person, channel or user group named by its id alone: ``@U0BOB``, ``#C0TRIAGE``,
    ``@S0PAY``."""
    return f"#{chat_id}" if _CHANNEL_ID.fullmatch(chat_id) else f"@{chat_id}"


def plain(text: str, named: Callable[[str], str] = by_id) -> str:
    """What people typed, in Slack's markup, as words for a document: ``@bob``, ``#general``,
    ``label (https://…)``, ``@here``, and ``&``, ``<``, ``>`` as themselves. ``named`` names
    a mention of a person, a channel or a user group that came without its name, by its id
    (``@alice``, ``#general``, ``@payments``: the chat's ``name``)."""
    return _PIECES.sub(lambda match: _words(match.group(0), named), text)


_PIECES = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);|[&<>]")
_KEPT = re.compile(r"<(?:@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|(?:https?|mailto):[^|\s]+)(?:\|[^|]*)?>")
_BROADCAST = re.compile(r"<!(here|channel|everyone)(?:\|[^|]*)?>")
_GROUP = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^|]*))?>")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def _shown(match: re.Match[str]) -> str:
    piece = match.group(0)
    if piece in _ENTITIES or _KEPT.fullmatch(piece):
        return piece
    if said := _BROADCAST.fullmatch(piece):
        return f"@{said.group(1)}"
    if said := _GROUP.fullmatch(piece):
        return escape(said.group(2) or f"@{said.group(1)}")
    return piece.translate(_FORMAT_ESCAPES)


def _words(piece: str, named: Callable[[str], str]) -> str:
    if piece in _ENTITIES:
        return _ENTITIES[piece]
    if len(piece) < 3 or not piece.startswith("<"):
        return piece
    target, _, label = piece[1:-1].partition("|")
    unescaped = _unescaped(label)
    if target.startswith("@") and _USER_ID.fullmatch(target[1:]):
        return f"@{unescaped}" if label else named(target[1:])
    if target.startswith("#") and _CHANNEL_ID.fullmatch(target[1:]):
        return f"#{unescaped}" if label else named(target[1:])
    if said := _BROADCAST.fullmatch(piece):
        return f"@{said.group(1)}"
    if said := _GROUP.fullmatch(piece):
        return unescaped or named(said.group(1))
    if target.startswith("!date^"):
        return unescaped
    if not re.match(r"(?:https?|mailto):", target):
        return piece  # no markup Slack sends: as it is
    address = _unescaped(target)  # Slack escapes a link's & as it does the text's
    if not unescaped or unescaped == address:
        return address
    return f"{unescaped} ({address})"


def _unescaped(text: str) -> str:
    return _PIECES.sub(lambda m: _ENTITIES.get(m.group(0), m.group(0)), text)


_UNITS = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);|.", re.DOTALL)


def units(text: str) -> list[str]:
    """``text`` (mrkdwn) in the pieces no cut may split: ``<…>`` tokens, entities and single
    characters."""
    return _UNITS.findall(text)


def typed_length(text: str) -> int:
    """The length of ``text`` (mrkdwn) as people typed it: an entity (``&amp;``) is the one
    character it stands for; tokens and the rest count as they are."""
    return len(text) - sum(len(entity) - 1 for entity in re.findall(r"&(?:amp|lt|gt);", text))


def truncate(text: str, limit: int) -> str:
    """``text`` (mrkdwn) within ``limit`` characters, as ``shortened`` makes it."""
    return shortened(text, limit)


def fallback(text: str) -> str:
    """A message's ``text`` (what notifications show), within ``FALLBACK_LIMIT``."""
    return truncate(text, FALLBACK_LIMIT)


FENCE = "```"  # opens a code block, and closes it
_TOKEN = re.compile(r"<[^<>\n]*>")


def pieces(text: str, limit: int, whole: re.Pattern[str] | None = None) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, each ending at a line break or else
    a space, never inside a ``<…>`` token (a mention, a link, a date), an entity nor a
    character (a grapheme cluster); a word longer than ``limit`` is cut, and a token no piece
    could hold is shown as its words (``_fit_tokens``). Each piece is shown alone, so a code
    block open at a cut is closed at the end of its piece and opened again at the start of the
    next; one that would open just before a cut opens in the next piece instead. Joined with
    line breaks, the pieces read as the text (but for those fences). ``whole`` matches words
    never split between pieces (a protocol's sentence between free text), as long as a piece
    can hold them."""
    reserve = len(FENCE) if FENCE in text else 0  # room for a closing fence, and a reopening
    rest = _fit_tokens(text, limit - 2 * reserve)
    found: list[str] = []
    reopened = False
    while _too_long(body := FENCE + rest if reopened else rest, limit, bool(found)):
        cut = _break_before(body, limit - reserve, whole)
        if not body[:cut].strip("`\n "):  # nothing but fences before the break: no piece
            cut = _hard_break(body, limit - reserve, max(cut, len(FENCE)) + 1)
        cut = _opening_moved(body, cut)
        piece = body[:cut].rstrip()
        reopened = _in_code(piece)
        found.append(bidi.cut_closed(piece) + (FENCE if reopened else ""))
        rest = body[cut:]
        # a code block's lines keep their indentation: only the break itself goes
        rest = rest[1:] if reopened and rest[:1] in ("\n", " ") else rest.lstrip()
        if reopened and rest.startswith(FENCE):  # the block ended at the cut: closed already
            rest, reopened = rest.lstrip("`").lstrip(), False  # the whole run: one fence
    if found and _in_code(body):  # a run of backticks the last cut left open (in inline code)
        body += FENCE
    return [*found, body] if body.strip() or not found else found


def _too_long(body: str, limit: int, cut: bool) -> bool:
    """Whether ``body``, the rest of a text being cut in pieces, needs cutting again: longer
    than ``limit``, or (once cut) too long for the fence closing a code block it leaves open."""
    if len(body) > limit:
        return True
    return cut and len(body) > limit - len(FENCE) and _in_code(body)


def _opening_moved(body: str, cut: int) -> int:
    """``cut``, or where the code fence opening a block just before it begins (nothing but
    blanks between them): the block then opens in the next piece, never empty in this one."""
    opened = cuts.fences(body[:cut])
    if len(opened) % 2 == 0 or body[opened[-1] + len(FENCE) : cut].strip("`\n "):
        return cut
    return opened[-1] if body[: opened[-1]].strip() else cut


def shortened(text: str, limit: int) -> str:
    """``text`` (mrkdwn) within ``limit`` characters: as it is, or cut at a line break or a
    space (else, or when the last one would leave less than half the room used, at a
    character, never inside a ``<…>`` token, an ``&amp;`` entity or a grapheme cluster) and
    ended with "…"; a code block open at the cut is closed after the
    "…", and a token longer than the room is shown as its words (``_fit_tokens``)."""
    if len(text) <= limit:
        return text
    room = limit - 1 - (len(FENCE) if FENCE in text else 0)
    if len(text := _fit_tokens(text, max(room, 1))) <= limit and not _in_code(text):
        return text
    cut = _break_before(text, room) if room > 0 else 0
    if cut < room // 2:  # the last break is far back: most of the room would go unused
        cut = _hard_break(text, room)
    kept = text[:cut]
    if (opened := _token_across(text, len(kept))) is not None:  # a token across the cut
        kept = kept[:opened]
    kept = bidi.cut_closed(kept.rstrip())
    return kept + "…" + (FENCE if _in_code(kept) else "")


def fitted(
    parts: Mapping[str, str],
    render: Callable[[dict[str, str]], T],
    fits: Callable[[T], bool],
    room: int,
) -> T:
    """``render`` of ``parts`` (free text in mrkdwn, by name: an update's impact, its action)
    with the longest part shortened ("…", as ``shortened`` does) a little more each time
    until ``fits`` takes what it renders (or every part is down to "…"), the rest of the
    rendering (a sentence's own words) never cut; ``room`` is the most characters a part
    could take (the whole rendering's limit), where the shortening starts."""
    most = {name: min(len(text), room) for name, text in parts.items()}
    while True:
        shown = {name: shortened(text, most[name]) for name, text in parts.items()}
        said = render(shown)
        longest = max(most, key=lambda name: most[name])
        if fits(said) or most[longest] <= 1:
            return said
        most[longest] = most[longest] * 9 // 10


def _in_code(text: str) -> bool:
    """Whether ``text`` (mrkdwn) ends inside a code block (``cuts.in_code``)."""
    return cuts.in_code(text)


def _fit_tokens(text: str, most: int) -> str:
    """``text`` with each ``<…>`` token longer than ``most`` characters (a link to a long
    saved query, say) shown as its words, ``label (https://…)``, as plain text shortened to
    ``most`` with "…": a piece may then be cut anywhere in it, and no token is ever split."""
    if not any(len(token) > most for token in _TOKEN.findall(text)):
        return text

    def shown_as(match: re.Match[str]) -> str:
        token = match.group(0)
        if len(token) <= most:
            return token
        shown = inert(_words(token, by_id))
        return shown if len(shown) <= most else shown[: _hard_break(shown, most - 1)] + "…"

    return _TOKEN.sub(shown_as, text)


def _break_before(text: str, limit: int, whole: re.Pattern[str] | None = None) -> int:
    """Where to end a piece of ``text`` at most ``limit`` long: after the last line break or
    space outside a ``<…>`` token; without one, at ``limit``, backed off to the start of a
    token or an entity it would cut (unless the piece would be empty). A line break is
    preferred to a later space, unless it would leave the piece less than half full. A ``<``
    that opens no token (plain text's) is a character like any other. No break inside a match
    of ``whole`` shorter than ``limit``."""
    best = {"\n": 0, " ": 0}
    inside = _inside_tokens(text, limit)
    for kept in _words_near(text, limit, whole):
        if kept.start() > limit:
            break
        if kept.end() - kept.start() < limit:  # a break may follow its last word
            end = min(kept.start() + len(kept.group(0).rstrip()), limit + 1)
            inside[kept.start() + 1 : end] = b"\x01" * (end - kept.start() - 1)
    for start, end in cuts.inline_code(text, 2 * limit + 2):  # a unit, as a token is
        if start < limit and end - start < limit:
            end = min(end - 1, limit + 1)
            inside[start + 1 : end] = b"\x01" * (end - start - 1)
    for at, char in enumerate(text[: limit + 1]):
        if char in best and at > 0 and not inside[at]:
            best[char] = at
    if best["\n"] >= limit // 2 or best["\n"] >= best[" "]:  # a line break, unless early
        return best["\n"] or best[" "] or _hard_break(_before_words(text, limit, whole), limit)
    return best[" "]


def _before_words(text: str, limit: int, whole: re.Pattern[str] | None) -> str:
    """``text``, or its part before the ``whole`` words a cut at ``limit`` would split (when
    something comes before them): a hard cut then ends there."""
    for kept in _words_near(text, limit, whole):
        if kept.start() >= limit:
            break
        if kept.end() > limit and kept.start() > 0:
            return text[: kept.start()]
    return text


def _words_near(text: str, limit: int, whole: re.Pattern[str] | None) -> Iterator[re.Match[str]]:
    """The matches of ``whole`` in ``text``'s first ``2 * limit + 2`` characters: those a cut
    at ``limit`` could concern (starting by it, shorter than it). Searching no further keeps
    cutting a long text in pieces linear."""
    return iter(()) if whole is None else whole.finditer(text, 0, 2 * limit + 2)


def _inside_tokens(text: str, limit: int) -> bytearray:
    """For each of ``text``'s first ``limit + 1`` characters, 1 if it is inside a ``<…>``
    token (after its ``<``), else 0."""
    inside = bytearray(limit + 1)
    for token in _TOKEN.finditer(text):
        if token.start() > limit:
            break
        for at in range(token.start() + 1, min(token.end(), limit + 1)):
            inside[at] = 1
    return inside


def _token_across(text: str, cut: int) -> int | None:
    """Where the ``<…>`` token a cut of ``text`` at ``cut`` would split begins, if one would."""
    for token in _TOKEN.finditer(text):
        if token.start() >= cut:
            return None
        if token.end() > cut:
            return token.start()
    return None


def _hard_break(text: str, limit: int, least: int = 1) -> int:
    """``limit``, or before the ``<…>`` token, the entity, the code fence or the grapheme
    cluster a cut there would split; never before ``least`` (a piece is never empty); at most
    the text's length."""
    cut = min(limit, len(text))
    opened = _token_across(text, cut)
    if opened is not None and opened >= least:
        cut = opened  # a token would be cut: the piece ends before it
    for start, end in cuts.inline_code(text, min(len(text), 2 * cut + 2)):
        if start < cut < end and start >= least:
            cut = start  # so would inline code (a run of backticks in it would open a block)
    for at in range(max(cut - 4, least), cut):
        if any(text.startswith(e, at) and at + len(e) > cut for e in (*_ENTITIES, FENCE)):
            return at  # so would an entity
    whole = cuts.grapheme_start(text, cut)
    return whole if whole >= least else cut


def _token(kind: str, identifier: str, pattern: re.Pattern[str]) -> str:
    # Ids come from Slack or the catalog; anything else is shown as text, never as markup.
    return kind.format(identifier) if pattern.fullmatch(identifier) else escape(identifier)


def is_user_id(text: str) -> bool:
    return _USER_ID.fullmatch(text) is not None


def is_channel_id(text: str) -> bool:
    return _CHANNEL_ID.fullmatch(text) is not None


def is_group_id(text: str) -> bool:
    return _GROUP_ID.fullmatch(text) is not None


def user(user_id: str) -> str:
    return _token("<@{}>", user_id, _USER_ID)


def user_group(group_id: str) -> str:
    return _token("<!subteam^{}>", group_id, _GROUP_ID)


def channel(channel_id: str) -> str:
    return _token("<#{}>", channel_id, _CHANNEL_ID)


def link(url: str, label: str) -> str:
    """``label`` linking to ``url``; a url that is not plain http(s) is shown as text."""
    if not _URL.fullmatch(url):
        return escape(label)
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"


def date(moment: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own timezone; the fallback text is UTC."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"


def bare_link(url: str) -> str:
    """A link showing ``url`` itself, or nothing for a value that is not a plain http(s) URL."""
    return link(url, url) if _URL.fullmatch(url) else ""
