"""What people type, as the bot reads and shows it: mrkdwn made safe, in pieces a block holds
and as words for documents; titles shortened at a word; names typed with dashes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.adapters.slack import blocks, commands, cuts, mrkdwn
from bot.adapters.slack.verbs import VERBS

TOKENS = st.sampled_from(
    ["<@U0BOB>", "<#C0GENERAL>", "<!date^1773457200^{date_short_pretty} {time}|2026-03-14>"]
)
# what people type reaches mrkdwn escaped: the only < and > are the tokens'
WORDS = st.text(st.characters(codec="utf-8", exclude_characters="<>"), max_size=40)
TEXTS = st.lists(st.one_of(TOKENS, WORDS), max_size=400).map(" ".join)


def _words(text: str) -> list[str]:
    return text.split()


@given(text=TEXTS, limit=st.integers(60, 3000))
def test_pieces_are_within_the_limit_and_read_as_the_text(text: str, limit: int) -> None:
    found = mrkdwn.pieces(text, limit)
    assert all(len(piece) <= limit for piece in found)
    assert _words("\n".join(found)) == _words(text)


@given(text=TEXTS)
def test_a_token_is_never_cut(text: str) -> None:
    for piece in mrkdwn.pieces(text, 100):
        assert piece.count("<") == piece.count(">")


# escaped mrkdwn without a space: a piece must still end between entities and tokens
UNSPACED = st.lists(
    st.sampled_from(["a", "é", "&amp;", "&lt;", "&gt;", "<@U0BOB|bob>", "<https://x.example/a|b>"]),
    max_size=2000,
).map("".join)
_WHOLE = r"(?:[^&<>]|&(?:amp|lt|gt);|<[^<>]*>)*"


@given(text=UNSPACED, limit=st.integers(60, 3000))
def test_a_text_without_spaces_is_never_split_inside_an_entity_or_a_token(
    text: str, limit: int
) -> None:
    found = mrkdwn.pieces(text, limit)
    assert "".join(found) == text
    for piece in found:
        assert len(piece) <= limit
        assert re.fullmatch(_WHOLE, piece), piece[-30:]


@pytest.mark.parametrize(
    "text",
    ["a" + "&amp;" * 1200, "x" * 2990 + "<https://example.com/a|the dash board>" + "y" * 100],
    ids=["entities", "link-at-the-limit"],
)
def test_a_long_text_is_split_between_entities_and_tokens(text: str) -> None:
    for piece in mrkdwn.pieces(text, 3000):
        assert re.fullmatch(_WHOLE, piece), piece[-30:]


@given(text=st.one_of(TEXTS.map(mrkdwn.escape), UNSPACED), limit=st.integers(10, 400))
def test_a_shortened_text_ends_whole_with_an_ellipsis(text: str, limit: int) -> None:
    short = mrkdwn.shortened(text, limit)
    assert len(short) <= limit
    if short != text:
        assert re.fullmatch(_WHOLE, short.removesuffix("…")), short[-30:]
        if all(len(token) < limit for token in re.findall(r"<[^<>]*>", text)):
            assert short.endswith("…")
            assert text.startswith(short.removesuffix("…"))
        # else a token no text of the limit could hold is shown as its words


def test_a_notice_too_long_for_one_block_takes_several() -> None:
    text = "word " * 2000
    said = blocks.notice(text, "")
    assert len(said) == 4
    assert " ".join(b["text"]["text"] for b in said).split() == text.split()
    for block in Block.parse_all(said):
        block.validate_json()


def test_a_notice_too_long_for_a_message_is_shortened_saying_so() -> None:
    said = blocks.notice("word " * 20_000, "")
    assert len(said) == blocks.NOTICE_SECTIONS + 1
    assert said[-2]["text"]["text"].endswith("…")
    assert "Shortened here: the whole text (100,000 characters)" in said[-1]["elements"][0]["text"]
    for block in Block.parse_all(said):
        block.validate_json()


@given(title=st.lists(WORDS.filter(lambda w: w.strip() == w and w), max_size=80).map(" ".join))
def test_a_title_is_shortened_after_a_whole_word(title: str) -> None:
    short = commands.shortened(title, 60)
    assert len(short) <= 60
    if short != title:
        assert short.endswith("…")
        kept = short.removesuffix("…").split(" ")
        whole = title.split(" ")
        assert kept[:-1] == whole[: len(kept) - 1]
        assert kept[-1] == whole[len(kept) - 1] or len(kept) == 1


def test_a_title_is_measured_as_typed_and_never_cut_inside_an_entity_or_a_token() -> None:
    amps = " &amp; ".join(["a"] * 60)  # 237 characters typed, 473 in Slack's markup
    assert commands.typed_length(amps) == 237
    short = commands.shortened(amps)
    assert short.endswith((" a…", " &amp;…")) and 195 <= commands.typed_length(short) <= 200
    link = "<https://example.com/very|the dashboard with a long label here and more words>"
    title = "x" * 150 + " " + link
    assert commands.shortened(title) == "x" * 150 + "…"
    assert commands.shortened("&amp;" * 300, stored=1000) == "&amp;" * 199 + "…"
    assert commands.shortened("&amp;" * 150) == "&amp;" * 150  # 750 stored: the record holds 2,000


@given(title=st.one_of(TEXTS.map(mrkdwn.escape), UNSPACED))
def test_a_shortened_title_fits_typed_and_stored_and_ends_whole(title: str) -> None:
    short = commands.shortened(title, 60, 150)
    assert commands.typed_length(short) <= 60 and len(short) <= 150
    if short != title:
        assert re.fullmatch(_WHOLE, short.removesuffix("…")), short[-30:]


ANY = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]))
MARKUP = st.lists(
    st.one_of(
        ANY.map(mrkdwn.inert),
        st.sampled_from(
            [
                "<@U0BOB|bob>",
                "<@U0BOB>",
                "<#C0GENERAL|general>",
                "<https://x.example/a|the link>",
                "<!here>",
                "<!channel>",
                "<!subteam^S0PAY|@payments>",
            ]
        ),
    ),
    max_size=12,
).map(" ".join)


@given(text=ANY)
def test_plain_text_made_markup_reads_as_typed(text: str) -> None:
    assert mrkdwn.escape(mrkdwn.inert(text)) == mrkdwn.inert(text)  # never escaped twice
    assert mrkdwn.plain(mrkdwn.inert(text)) == text


@given(text=st.one_of(ANY, MARKUP))
def test_what_is_shown_notifies_no_one_and_is_shown_once_escaped(text: str) -> None:
    shown = mrkdwn.escape(text)
    assert mrkdwn.escape(shown) == shown
    for broadcast in ("<!here", "<!channel", "<!everyone", "<!subteam"):
        assert broadcast not in shown


def test_mentions_channels_and_links_show_as_slack_shows_them_and_read_as_words() -> None:
    typed = "ask <@U0BOB|bob> in <#C0GENERAL|general> &amp; see <https://x.example|dash> <!here>"
    assert mrkdwn.escape(typed) == (
        "ask <@U0BOB|bob> in <#C0GENERAL|general> &amp; see <https://x.example|dash> @here"
    )
    assert mrkdwn.plain(typed) == "ask @bob in #general & see dash (https://x.example) @here"
    assert mrkdwn.plain("<@U0CAROL> &lt;b&gt;", lambda user: "Carol") == "Carol <b>"


def test_a_person_a_channel_or_a_group_without_a_name_is_named_by_the_chat() -> None:
    names = {"U0BOB": "@bob", "C0TRIAGE": "#triage", "S0PAY": "@payments"}
    typed = "<@U0BOB> <#C0TRIAGE> <!subteam^S0PAY> <#C0GENERAL|general> <@U0X>"
    assert mrkdwn.plain(typed, lambda i: names.get(i, mrkdwn.by_id(i))) == (
        "@bob #triage @payments #general @U0X"
    )
    assert mrkdwn.plain(typed) == "@U0BOB #C0TRIAGE @S0PAY #general @U0X"


def test_a_links_address_reads_as_typed_in_words() -> None:
    typed = "<https://g.example/d?a=1&amp;b=2|grafana &amp; co> <https://g.example/?x=1&amp;y=2>"
    assert mrkdwn.plain(typed) == (
        "grafana & co (https://g.example/d?a=1&b=2) https://g.example/?x=1&y=2"
    )


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("service checkout\u2013api, search", ("checkout-api", "search")),
        ("service Checkout\u2014API", ("checkout-api",)),
        ("deploy checkout\u2013api v42", ("checkout-api", "v42")),
    ],
)
def test_typographic_dashes_in_names_are_hyphens(typed: str, words: tuple[str, ...]) -> None:
    assert VERBS.parse(typed).words == words


@pytest.mark.parametrize("gap", ["\t", "\u00a0", "\u2003", " \u00a0 "])
def test_a_verb_is_its_own_word_whatever_space_follows_it(gap: str) -> None:
    assert VERBS.parse(f"sev1{gap}checkout down").text == "checkout down"
    assert VERBS.parse(f"12{gap}resolve").incident == 12


def test_a_role_typed_with_a_dash_is_a_role() -> None:
    assert VERBS.parse("role comms\u2013lead <@U0BOB|bob>").text == "comms-lead"


# a log pasted between code fences, a long saved query's link: markup that spans many pieces
CODED = st.lists(
    st.one_of(TOKENS, WORDS, st.just("```"), st.just("\n    indented")), max_size=400
).map(" ".join)
LONG_LINK = "<https://kibana.example/app/discover#/?_a=" + "a" * 3500 + "|the logs>"


@given(text=CODED, limit=st.integers(100, 3000))
def test_each_piece_closes_the_code_block_it_opens(text: str, limit: int) -> None:
    found = mrkdwn.pieces(text, limit)
    assert all(len(piece) <= limit for piece in found)
    assert all(piece.count("```") % 2 == 0 or piece is found[-1] for piece in found)
    joined = "\n".join(found).replace("```", "")
    assert _words(joined) == _words(text.replace("```", ""))


def test_a_code_block_split_is_reopened_in_the_next_piece_keeping_its_indentation() -> None:
    code = "```" + "\n".join(f"    step {i} " + "z" * 30 for i in range(100)) + "```"
    found = mrkdwn.pieces("before " + code + " after", 3000)
    assert len(found) == 2
    assert all(piece.count("```") == 2 for piece in found)
    assert found[1].startswith("```    step ")


@given(text=CODED, limit=st.integers(10, 400))
def test_a_shortened_text_closes_its_code_block(text: str, limit: int) -> None:
    short = mrkdwn.shortened(text, limit)
    assert len(short) <= limit
    if short != text:
        assert short.count("```") % 2 == 0


def test_a_token_longer_than_a_block_is_shown_as_its_words_never_cut() -> None:
    for found in (
        mrkdwn.pieces(f"see {LONG_LINK} then", 3000),
        [mrkdwn.shortened(f"see {LONG_LINK} then", 3000)],
    ):
        assert all(len(piece) <= 3000 and "<" not in piece for piece in found)
        assert " ".join(found).startswith("see the logs")
    said = " ".join(mrkdwn.pieces(f"see {LONG_LINK} then", 3000))
    assert "the logs (https://kibana.example/app/discover#/?_a=aaa" in said


def test_a_code_block_ending_at_a_cut_leaves_no_empty_block() -> None:
    code = "```" + "x" * 2990 + "\n```" + " after"
    found = mrkdwn.pieces(code, 3000)
    assert found == ["```" + "x" * 2990 + "```", "after"]


def test_a_lone_angle_bracket_in_plain_text_is_no_token_to_cut_before() -> None:
    text = "tracker said: a < b, " + "word " * 100
    assert mrkdwn.shortened(text, 200).startswith("tracker said: a < b, word word")
    assert mrkdwn.pieces(text, 100)[0].startswith("tracker said: a < b, word")


_TOKEN = re.compile(r"<[^<>\n]*>")


@pytest.mark.parametrize("size", [2996, 2998, 2999, 3000])
def test_a_link_a_section_can_hold_is_never_cut(size: int) -> None:
    link = "<https://grafana.example.com/d/abc?" + "q" * (size - 41) + "|dash>"
    note = f":pushpin: {link}. Rolled back at 10:02, error rate back to normal."
    found = mrkdwn.pieces(note, mrkdwn.SECTION_LIMIT)
    assert all(len(piece) <= mrkdwn.SECTION_LIMIT for piece in found)
    assert any(link in piece for piece in found)
    assert all(len(_TOKEN.findall(piece)) == piece.count("<") for piece in found)
    small = mrkdwn.pieces("<https://ex.com/" + "x" * 40 + ">`", 57)
    assert small == ["<https://ex.com/" + "x" * 40 + ">", "`"]


@pytest.mark.parametrize(
    "text",
    [
        "see <https://ex.com/x|```build log> for details, ping <@U0BOB|bob>. " + "word " * 700,
        "the `a```b` thing " + "word " * 700,
    ],
    ids=["in a link's label", "in inline code"],
)
def test_backticks_in_a_label_or_inline_code_open_no_code_block(text: str) -> None:
    found = mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT)
    assert not any(piece.startswith("```") or piece.endswith("```") for piece in found)
    assert not mrkdwn.shortened(text, 100).endswith("```")


@pytest.mark.parametrize("pad", range(0, 80, 2))
def test_a_code_block_opening_just_before_a_cut_opens_in_the_next_piece(pad: int) -> None:
    code = "```\n" + "\n".join(f"log {i} " + "a" * 30 for i in range(40)) + "\n```"
    text = " ".join(["word"] * 588) + "x" * pad + " Logs:\n" + code + "\nafter"
    for piece in mrkdwn.pieces(text, mrkdwn.SECTION_LIMIT):
        assert "``````" not in piece, f"an empty code block: …{piece[-20:]!r}"
        assert piece.count("```") % 2 == 0


@pytest.mark.parametrize(
    "text", ["👨\u200d👩\u200d👧" * 20, "🇫🇷" * 40, "e\u0301" * 60], ids=["zwj", "flags", "accents"]
)
def test_a_hard_cut_never_splits_a_character_people_see_as_one(text: str) -> None:
    found = mrkdwn.pieces(text, 13)
    assert "".join(found) == text
    for piece in found:
        assert piece[0] not in "\u200d\u0301" and piece[-1] != "\u200d"
        assert piece.count("🇫") == piece.count("🇷")
    short = mrkdwn.shortened(text, 13)
    assert short[-2] not in "\u200d" and short.count("🇫") == short.count("🇷")


def test_a_run_of_four_backticks_is_one_fence() -> None:
    code = "````\n" + "\n".join(f"log {i} " + "a" * 30 for i in range(200)) + "\n````"
    found = mrkdwn.pieces(f"{code}\nafter words", mrkdwn.SECTION_LIMIT)
    assert len(found) > 2
    assert all(len(cuts.fences(piece)) == 2 for piece in found[:-1])
    assert found[-1].endswith("````\nafter words")
