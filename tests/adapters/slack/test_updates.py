"""The one-line status update: every field parsed, and a missing or malformed one named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import blocks, mrkdwn, updates
from bot.adapters.templates import Templates

PROMISES = updates.Promises(timedelta(minutes=15), timedelta(hours=2))


def test_a_complete_line() -> None:
    form = updates.parse_line(
        'impact="checkout errors" affected=1200 action="rolling back" next=1h30m', PROMISES
    )
    assert (form.impact, form.affected, form.action, form.next_update, form.errors) == (
        "checkout errors",
        "1,200 users",
        "rolling back",
        timedelta(minutes=90),
        {},
    )


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        ('affected=5% action="x" next=30m', "impact", "Say the impact"),
        (
            'impact="x" affected=lots action="x" next=30m',
            "affected",
            "a share of traffic between 0 and 100% (like 5%)",
        ),
        ('impact="x" affected=5% next=30m', "action", "Say the action"),
        ('impact="x" affected=5% action="x" next=soon', "next", "such as 30s, 5m"),
        ('impact="x" affected=5% action="x" next=30m colour=red', "line", "unknown field"),
        ('impact="unclosed affected=5%', "line", "quote text with spaces"),
        ('impact="x" affected=150% action="x" next=30m', "affected", "between 0 and 100%"),
        ('impact="x" affected=1.5 action="x" next=30m', "affected", "a whole number of users"),
        ('impact="x" affected=1,2,3 action="x" next=30m', "affected", "a whole number"),
        ('impact="x" affected=5% action="x" next=1000d', "next", "between 15 minutes and 2 hours"),
        ('impact="x" affected=5% action="x" next=90s', "next", "like next=2h"),
    ],
)
def test_a_bad_line_names_the_field(line: str, field: str, says: str) -> None:
    errors = updates.parse_line(line, PROMISES).errors
    assert field in errors
    assert says in errors[field]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("5%", "5% of traffic"),
        ("12.5 % of traffic", "12.5% of traffic"),
        ("1", "1 user"),
        ("1,200 users", "1,200 users"),
        ("300 customers", "300 users"),
        ("\u0665%", "5% of traffic"),  # Arabic-Indic digits, as the users' count takes them
        ("\u0661\u0662", "12 users"),
        ("\uff15.\uff15%", "5.5% of traffic"),
        ("1,000,000,000,000", "1,000,000,000,000 users"),
    ],
)
def test_affected_is_written_the_protocols_way(typed: str, shown: str) -> None:
    assert updates.affected(typed) == shown


@pytest.mark.parametrize("typed", ["1,000,000,000,001", "99999999999999999999", "1" * 5000])
def test_more_users_than_anyone_has_are_refused(typed: str) -> None:
    assert updates.affected(typed) is None


@pytest.mark.parametrize(
    "line",
    [
        "impact=\u201ccheckout errors\u201d affected=5% action=\u201crolling back\u201d next=30m",
        "impact=\u201echeckout errors\u201c affected=5% action='rolling back' next=30m",
        "impact=\u2018checkout errors\u2019 affected=5% action=\u00abrolling back\u00bb next=30m",
        'impact="checkout errors" affected=5% action="rolling back" next=30m',
        # half straight, half curly, as a phone's autocorrect leaves them
        'impact="checkout errors\u201d affected=5% action=\u201crolling back" next=30m',
        "impact='checkout errors\u2019 affected=5% action=\u300crolling back\u300d next=30m",
    ],
)
def test_curly_quotes_are_read_as_straight_ones(line: str) -> None:
    form = updates.parse_line(line, PROMISES)
    assert (form.impact, form.action, form.errors) == ("checkout errors", "rolling back", {})


def test_a_quoted_word_inside_a_value_does_not_end_it() -> None:
    line = 'impact="the \u201cpay\u201d button fails" affected=1 action="x" next=15m'
    form = updates.parse_line(line, PROMISES)
    assert (form.impact, form.errors) == ("the \u201cpay\u201d button fails", {})


def test_a_quote_inside_a_quoted_value_is_kept() -> None:
    line = (
        "impact=\u201ccustomers can\u2019t pay \u201cnow\u201d\u201d affected=1 action=x next=15m"
    )
    form = updates.parse_line(line, PROMISES)
    assert form.impact == "customers can\u2019t pay \u201cnow\u201d"
    assert form.affected == "1 user"
    assert updates.verb(form.affected) == "is"
    assert updates.verb("2 users") == "are"
    assert updates.verb("5% of traffic") == "are"  # the protocol's own sentence


def test_the_form_carries_its_promises_back() -> None:
    view = updates.modal(7, [timedelta(minutes=15), timedelta(hours=1)])
    view["state"] = {
        "values": {
            "impact": {"value": {"value": "errors"}},
            "affected": {"value": {"value": "101%"}},
            "action": {"value": {"value": "looking"}},
            "next": {"value": {"selected_option": {"value": "15m"}}},
            "custom": {"value": {"value": "3h"}},
        }
    }
    incident, form = updates.read_modal(view)
    assert incident == 7
    assert "between 15 minutes and 1 hour" in form.errors["custom"]
    assert "pick one of the choices or type a time like 1h" in form.errors["custom"]
    assert "next=" not in form.errors["custom"]  # the command's terms, not the form's
    assert "between 0 and 100%" in form.errors["affected"]


def test_fields_end_at_any_whitespace_and_unquoted_text_is_named() -> None:
    form = updates.parse_line("impact=errors\naffected=5%\taction=looking next=30m", PROMISES)
    assert (form.impact, form.affected, form.action, form.errors) == (
        "errors",
        "5% of traffic",
        "looking",
        {},
    )
    refused = updates.parse_line("impact=checkout errors affected=5%", PROMISES)
    assert "`errors` is not a field" in refused.errors["line"]
    assert updates.parse_line("impact= affected=5%", PROMISES).errors["impact"] == "Say the impact."


def test_without_a_status_update_rule_any_promise_within_a_day_is_taken() -> None:
    unbound = updates.Promises.of([])
    assert unbound.problem(timedelta(hours=4)) is None
    assert "between 1 minute and 1 day" in (unbound.problem(timedelta(days=3)) or "")
    view = updates.modal(3, [])
    assert [o["value"] for o in view["blocks"][3]["element"]["options"]] == ["30m"]


TEMPLATES = Templates(Path(__file__).parents[3] / "templates")
FREE = st.lists(
    st.sampled_from(["ab", "word", " ", "&amp;", "```", "\n", "<@U0BOB>"]), max_size=30
).map(lambda pieces: "".join(pieces) * 331)


@settings(max_examples=20, deadline=None)
@given(impact=FREE, action=FREE)
def test_the_sentence_fits_a_message_whole_with_its_header(impact: str, action: str) -> None:
    form = updates.UpdateForm(impact or "x", "5% of traffic", action or "y", timedelta(hours=1))
    said = updates.sentence(TEMPLATES, form)
    assert len(mrkdwn.pieces(said, blocks.SECTION_LIMIT)) <= blocks.NOTICE_SECTIONS - 1
    sentence, _, note = said.partition("\n" + updates.SHORTENED)
    assert sentence.rstrip().endswith("Next update in 1 hour.")
    if note or updates.SHORTENED in said:
        assert "…" in sentence
    else:
        read = " ".join(sentence.split())
        assert " ".join(form.impact.split()) in read and " ".join(form.action.split()) in read


@pytest.mark.parametrize("size", [2990, 2998, 3000])
@pytest.mark.parametrize("field", ["impact", "action"])
def test_a_link_as_long_as_a_section_is_alone_and_the_sentence_whole(size: int, field: str) -> None:
    link = "<https://ex.com/" + "q" * (size - 23) + "|label>"
    typed = {"impact": "rolling back", "action": "rolling back", field: link}
    form = updates.UpdateForm(affected="5% of traffic", next_update=timedelta(minutes=30), **typed)
    said = updates.sentence(TEMPLATES, form)
    found = mrkdwn.pieces(said, mrkdwn.SECTION_LIMIT, updates.protocol_words(TEMPLATES))
    assert link in found
    assert any(piece.endswith(". Next update in 30 minutes.") for piece in found)
    assert any("5% of traffic are affected. We are" in piece for piece in found)
