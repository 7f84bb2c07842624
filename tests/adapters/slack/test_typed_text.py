"""Whatever a person types reaches every place it is shown, whole and within Slack's limits;
values are checked before anyone else sees them, with an answer saying what to type instead.
From outside: signed commands over HTTP against the Slack stand-in, which refuses what Slack
refuses over its limits."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from html import escape as html_escape
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.status_updates import PostedUpdates
from bot.adapters.slack import blocks, modals, mrkdwn
from bot.adapters.slack import updates as updates_
from bot.core.model import EventKind
from bot.entrypoints.sandbox import signing
from tests.adapters.slack.conftest import (
    ANNOUNCE,
    GENERAL,
    SECRET,
    BotClient,
    assert_valid_block_kit,
)

OVER_HTTP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def slack_typed(text: str) -> str:
    """What Slack sends for ``text`` typed after a command (should_escape: &, <, > escaped)."""
    return html_escape(text, quote=False)


def sev2(bot: BotClient) -> str:
    """A Sev2's channel, declared once per running bot."""
    created = bot.slack.calls_to("conversations.create")
    if not created:
        bot.reply(bot.command("sev2 checkout is slow"))
        created = bot.slack.calls_to("conversations.create")
        assert bot.runtime.work.wait_idle()
    return str(created[0].response["channel"]["id"])


def shown(message: dict[str, Any]) -> str:
    """A message's sections as one text, as a reader reads them in a row."""
    texts = [b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "section"]
    return " ".join(" ".join(texts).split())


def posted_in(bot: BotClient, channel: str) -> list[dict[str, Any]]:
    assert bot.runtime.work.wait_idle()
    return [
        c.params for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == channel
    ]


def updates(bot: BotClient) -> list[Any]:
    with bot.runtime.sessions() as session:
        return PostedUpdates(session).for_incident(1)


def test_a_long_impact_is_posted_whole_with_the_protocols_sentence(bot: BotClient) -> None:
    channel = sev2(bot)
    impact = " ".join(f"word{n}" for n in range(500))  # 3,390 characters
    line = f'update impact="{impact}" affected=5% action="rolling back" next=30m'
    bot.command(line, channel=channel)
    sentence = f"We are aware of {impact}. 5% of traffic are affected. We are rolling back."
    ending = "Next update in 30 minutes."
    in_channel = shown(posted_in(bot, channel)[-1])
    told = shown(posted_in(bot, ANNOUNCE)[-1])
    for where in (in_channel, told):
        assert sentence in where and where.endswith(ending), where[-200:]
    [recorded] = updates(bot)
    assert recorded.impact == impact
    assert all(call.valid for call in bot.slack.calls), [c.summary() for c in bot.slack.calls]
    assert_valid_block_kit(bot.slack)


@pytest.mark.parametrize(
    "impact",
    [
        " ".join(f"w{n}" for n in range(5000)),  # ~ 34,000 characters
        "x\n" + ("y" * 1600 + "\n") * 25,  # early line breaks
        "&amp;" * 8000,
    ],
    ids=["words", "lines", "entities"],
)
def test_a_long_impact_is_shortened_and_the_sentence_stays_whole(
    bot: BotClient, impact: str
) -> None:
    channel = sev2(bot)
    line = f'update impact="{impact}" affected=5% action="rolling back" next=30m'
    assert bot.command(line, channel=channel).status == 200
    ending = "…. 5% of traffic are affected. We are rolling back. Next update in 30 minutes."
    for where in (channel, ANNOUNCE):
        said = shown(posted_in(bot, where)[-1])
        assert said.startswith(":loudspeaker:") and said.endswith(updates_.SHORTENED), where
        assert said.removesuffix(updates_.SHORTENED).rstrip().endswith(ending), where
    assert updates(bot)[-1].impact == impact.strip()
    assert_valid_block_kit(bot.slack)


def test_link_addresses_read_as_typed_in_the_topic_and_the_channel_name(bot: BotClient) -> None:
    bot.reply(bot.command("sev2 db <https://g.example/d?a=1&amp;b=2|grafana> slow"))
    assert bot.runtime.work.wait_idle()
    [created] = bot.slack.calls_to("conversations.create")
    assert created.params["name"].endswith("-db-grafana-slow")
    [topic] = bot.slack.calls_to("conversations.setTopic")
    assert "db grafana (https://g.example/d?a=1&amp;b=2) slow" in topic.params["topic"]


def test_curly_quotes_are_taken_as_straight_ones(bot: BotClient) -> None:
    channel = sev2(bot)
    line = "update impact=“checkout errors” affected=1 action=“rolling back” next=15m30s"
    bot.command(line, channel=channel)
    said = shown(posted_in(bot, channel)[-1])
    assert (
        "We are aware of checkout errors. 1 user is affected. We are rolling back. "
        "Next update in 15 minutes 30 seconds." in said
    )


def test_values_out_of_bounds_are_refused_with_what_to_type_and_the_line_kept(
    bot: BotClient,
) -> None:
    channel = sev2(bot)
    cases = {
        "affected=150%": "between 0 and 100%",
        "affected=2.5": "a whole number of users",
        "next=1000d": "between 15 minutes and 1 hour",
        "next=90s": "between 15 minutes and 1 hour",
    }
    for typed, says in cases.items():
        line = f'update impact="errors" affected=5% action="looking" next=30m {typed}'
        line = line.replace("affected=5% ", "" if "affected" in typed else "affected=5% ")
        line = line.replace(" next=30m", "" if "next" in typed else " next=30m")
        answer = bot.reply(bot.command(line, channel=channel))
        assert says in answer["text"], answer["text"]
        assert ".." not in answer["text"]
        assert html_escape(line, quote=False) in answer["text"]  # the line, to copy and fix
    assert updates(bot) == []


def test_a_50_kb_note_is_recorded_whole_and_posted_shortened_saying_so(bot: BotClient) -> None:
    channel = sev2(bot)
    note = "all the logs " * 4000  # 52,000 characters
    sent = bot.command(f"note {note}", channel=channel)
    assert sent.status == 200
    assert bot.runtime.work.wait_idle()
    answered = [m for m in bot.slack.responses(sent.response_key)]
    assert not any("Slack refused" in json.dumps(m) for m in answered)
    posted = posted_in(bot, channel)[-1]
    assert "noted: all the logs" in shown(posted)
    assert "Shortened here: the whole text (52,0" in json.dumps(posted)
    with bot.runtime.sessions() as session:
        noted = [e for e in Incidents(session).timeline.events(1) if e.kind is EventKind.NOTE_ADDED]
    assert noted[-1].text == note.strip()
    assert all(call.valid for call in bot.slack.calls)


@OVER_HTTP
@given(
    impact=st.text(
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=3500
    )
)
def test_any_impact_is_recorded_whole_and_the_sentence_is_never_cut(
    bot: BotClient, impact: str
) -> None:
    impact = re.sub(r"\s+", " ", impact).strip().replace('"', "'") or "x"
    channel = sev2(bot)
    before = len(updates(bot))
    typed = slack_typed(impact)
    answer = bot.command(
        f'update impact="{typed}" affected=5% action="looking" next=30m', channel=channel
    )
    assert answer.status == 200
    assert bot.runtime.work.wait_idle()
    recorded = updates(bot)
    assert len(recorded) == before + 1, bot.slack.responses(answer.response_key)
    assert recorded[-1].impact == typed.strip()
    assert shown(posted_in(bot, channel)[-1]).endswith("Next update in 30 minutes.")
    assert all(call.valid for call in bot.slack.calls), [
        c.summary() for c in bot.slack.calls if not c.valid
    ]


def test_a_title_over_the_limit_is_shortened_at_a_word_visibly_and_kept_whole(
    bot: BotClient,
) -> None:
    title = "checkout " + "errorsforeveryone " * 15  # 279 characters
    answer = bot.reply(bot.command(f"sev3 {title}"))
    assert "shortened after its last whole word that fits" in json.dumps(answer)
    with bot.runtime.sessions() as session:
        [stored] = Incidents(session).open()
    assert len(stored.incident.title) <= 200
    assert stored.incident.title.endswith("errorsforeveryone…")
    assert stored.description == title.strip()


FORM_IDS = itertools.count(1)
TYPED = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


@OVER_HTTP
@given(title=TYPED.filter(lambda t: len(t) <= 200), description=TYPED)
def test_any_declaration_form_is_answered_and_recorded_as_typed(
    bot: BotClient, title: str, description: str
) -> None:
    n = next(FORM_IDS)
    values = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {"value": {"selected_option": {"value": "sev3"}}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
    }
    view = {"id": f"V{n}", "type": "modal", "callback_id": "incident.declare"}
    view |= {"private_metadata": GENERAL, "state": {"values": values}}
    sent = bot.interact({"type": "view_submission", "user": {"id": "U0ALICE"}, "view": view})
    assert sent.status == 200
    assert bot.runtime.work.wait_idle()
    title, description = title.replace("\x00", ""), description.replace("\x00", "")  # see door
    words = " ".join(title.split())
    if not words:
        assert sent.json()["errors"]["title"] == "Say in a few words what is broken."
        return
    with bot.runtime.sessions() as session:
        stored = Incidents(session).open()[-1]
    assert (stored.incident.title, stored.description) == (
        mrkdwn.inert(words),
        mrkdwn.inert(description.strip()),
    )
    assert all(call.valid for call in bot.slack.calls), [c.summary() for c in bot.slack.calls]


@OVER_HTTP
@given(
    said=st.lists(
        st.one_of(
            TYPED.map(slack_typed),
            st.sampled_from(["<@U0BOB|bob>", "<!here>", "<https://x.example|dash>"]),
        ),
        min_size=1,
        max_size=5,
    ).map(" ".join)
)
def test_any_pinned_message_is_noted_whole(bot: BotClient, said: str) -> None:
    channel = sev2(bot)
    ts = f"1700000001.{next(FORM_IDS):06d}"
    item = {
        "type": "message",
        "channel": channel,
        "message": {"ts": ts, "text": said, "user": "U0CAROL", "permalink": "https://p/1"},
    }
    event = {"type": "pin_added", "user": "U0BOB", "channel_id": channel, "item": item}
    body = signing.event_body(event, team_id=bot.slack.identity.team_id)
    status, _, _ = signing.post(f"{bot.url}/slack/events", body, signing.JSON, SECRET)
    assert status == 200
    assert bot.runtime.work.wait_idle()
    with bot.runtime.sessions() as session:
        noted = [e for e in Incidents(session).timeline.events(1) if e.kind is EventKind.NOTE_ADDED]
    kept = said.replace("\x00", "")  # no one types a NUL, and PostgreSQL keeps none: taken out
    if kept.strip():
        assert noted[-1].text == kept and noted[-1].extra["message_ts"] == ts


def test_a_message_slack_finds_too_long_is_told_in_words_and_kept(bot: BotClient) -> None:
    channel = sev2(bot)
    bot.slack.fail_next("chat.postMessage", "msg_too_long")
    answer = bot.reply(bot.command("note the whole story", channel=channel))
    assert "Done, and recorded" in answer["text"]
    assert "Slack found the message too long or not well formed (`msg_too_long`)" in answer["text"]


def test_a_form_title_of_markup_characters_fits_the_record() -> None:

    values = {
        "title": {"value": {"value": "&" * 200}},
        "severity": {"value": {"selected_option": {"value": "sev3"}}},
    }
    form = modals.read_declaration({"state": {"values": values}}, datetime.now(UTC))
    assert form.title == "&amp;" * 200  # 1,000 characters: the record holds 2,000 (0020)


CODE = "```" + "\n".join(f"line {i} " + "y" * 40 for i in range(150)) + "```"  # a log paste
LINK = "<https://kibana.example/app/discover#/?_a=" + "a" * 3500 + "|the logs>"  # saved query


def sections(message: dict[str, Any]) -> list[str]:
    return [(b.get("text") or {}).get("text", "") for b in message.get("blocks") or []]


@pytest.mark.parametrize("text", [CODE, LINK], ids=["code block", "long link"])
def test_a_long_note_keeps_its_markup_whole_in_each_section(bot: BotClient, text: str) -> None:
    channel = sev2(bot)
    before = len(posted_in(bot, channel))
    bot.command("note " + text, channel=channel)
    [posted] = posted_in(bot, channel)[before:]
    for said in sections(posted):
        assert said.count("```") % 2 == 0, f"an unclosed code block: …{said[-60:]!r}"
        assert said.count("<") == said.count(">"), f"a cut link: {said[:50]!r}…{said[-30:]!r}"
    assert "the logs (https://kibana.example/" in shown(posted) or text == CODE


def test_an_update_whose_action_is_a_code_block_keeps_its_fences(bot: BotClient) -> None:
    channel = sev2(bot)
    action = "```" + "\n".join(f"step {i} " + "z" * 30 for i in range(100)) + "```"
    bot.command(f'update impact="errors" affected=5% action="{action}" next=30m', channel=channel)
    assert bot.runtime.work.wait_idle()
    calls = bot.slack.calls_to("chat.postMessage") + bot.slack.calls_to("chat.update")
    for call in calls:
        for said in sections(call.params):
            assert said.count("```") % 2 == 0, f"{call.params['channel']}: …{said[-60:]!r}"
    assert shown(posted_in(bot, ANNOUNCE)[-1]).endswith("Next update in 30 minutes.")


@pytest.mark.parametrize(("field", "words"), [("action", 700), ("impact", 1200)])
def test_a_long_field_the_message_can_hold_is_shown_whole(
    bot: BotClient, field: str, words: int
) -> None:
    channel = sev2(bot)
    typed = " ".join(f"t{i}" for i in range(words))  # action: 3,389 characters; impact 6,089
    parts = {"impact": "errors", "action": "rolling back", field: typed}
    line = f'update impact="{parts["impact"]}" affected=5% action="{parts["action"]}" next=30m'
    bot.command(line, channel=channel)
    for where in (channel, ANNOUNCE):
        said = shown(posted_in(bot, where)[-1])
        assert f"t{words - 1}" in said and "…" not in said, where
        assert said.endswith("Next update in 30 minutes."), where


def test_the_post_mortem_shows_a_shortened_update_whole(bot: BotClient) -> None:
    channel = sev2(bot)
    action = " ".join(f"a{i}" for i in range(5000))  # ~ 29,000 characters: shortened in Slack
    bot.command(f'update impact="errors" affected=5% action="{action}" next=30m', channel=channel)
    assert updates_.SHORTENED in shown(posted_in(bot, channel)[-1])
    bot.command("resolve", channel=channel)
    assert bot.runtime.work.wait_idle()
    bot.reply(bot.command("postmortem", channel=channel))
    [uploaded] = bot.slack.files.values()
    draft = uploaded.content.decode()
    assert "a4999. Next update in 30 minutes." in draft
    assert "a4999…" not in draft and updates_.SHORTENED not in draft


@pytest.mark.parametrize("typed", ["R&D " * 45, "a<b> " * 40], ids=["&", "<>"])
def test_a_long_title_is_shortened_in_the_topic_which_keeps_its_ending(
    bot: BotClient, typed: str
) -> None:
    bot.reply(bot.command("sev2 " + slack_typed(typed)))
    assert bot.runtime.work.wait_idle()
    [call] = bot.slack.calls_to("conversations.setTopic")
    topic = call.params["topic"]
    assert len(topic) <= 250 and topic.endswith("… · /incident help"), topic[-40:]
    assert not re.search(r"&(?!amp;|lt;|gt;)", topic), topic


@pytest.mark.parametrize("title", ["&" * 200, "a<b " * 50, "R&D <-> Ops & QA " * 11])
def test_a_form_title_within_the_forms_limit_is_kept_whole_in_the_record(
    bot: BotClient, title: str
) -> None:
    """r16/r16b: 200 typed characters can be 1,000 in Slack's markup (``&`` is ``&amp;``); the
    record holds 2,000 since migration 0020, so nothing the form takes is shortened."""
    values = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
        "description": {"value": {"type": "plain_text_input", "value": "seen by on-call"}},
    }
    view = {"id": "V1", "type": "modal", "callback_id": "incident.declare"}
    view |= {"private_metadata": GENERAL, "state": {"values": values}}
    bot.interact({"type": "view_submission", "user": {"id": "U0ALICE"}, "view": view})
    assert bot.runtime.work.wait_idle()
    with bot.runtime.sessions() as session:
        stored = Incidents(session).get(1)
    assert stored.incident.title == mrkdwn.inert(" ".join(title.split()))
    assert stored.description == "seen by on-call"


@pytest.mark.parametrize(
    "impact",
    ["checkout errors " * 1900, f"{CODE}\n{CODE}"],
    ids=["30k words", "code block"],
)
def test_the_stakeholder_resolution_keeps_its_own_words_after_a_long_impact(
    bot: BotClient, impact: str
) -> None:
    channel = sev2(bot)
    bot.command(
        f'update impact="{impact}" affected=5% action="rolling back" next=30m', channel=channel
    )
    before = len(posted_in(bot, ANNOUNCE))
    bot.command("resolve", channel=channel)
    [resolution] = [m for m in posted_in(bot, ANNOUNCE)[before:] if "Impact:" in shown(m)]
    assert f"The record is in <#{channel}>." in shown(resolution)
    assert ("Shortened here" in json.dumps(resolution)) == (len(impact) > 24_000)
    for said in sections(resolution):
        assert said.count("```") % 2 == 0, f"an unclosed code block: …{said[-60:]!r}"


def test_a_shortened_notice_counts_the_characters_as_typed() -> None:
    typed = "R&D <-> ops & QA " * 1700
    line = json.dumps(blocks.notice(mrkdwn.inert(typed))[-1])
    assert f"{len(typed):,} characters" in line


@pytest.mark.parametrize("size", range(2880, 2940, 7))
def test_the_sentences_own_words_are_never_split_between_sections(
    bot: BotClient, size: int
) -> None:
    channel = sev2(bot)
    action = ("rollback " * 400)[:size].strip()
    before = len(bot.slack.calls)
    bot.command(f'update impact="errors" action="{action}" affected=5% next=30m', channel=channel)
    assert bot.runtime.work.wait_idle()
    for call in bot.slack.calls[before:]:
        said = sections(call.params)
        if any("30 minutes." in section for section in said):
            assert any("Next update in 30 minutes." in section for section in said), said[-1]
        if any("affected." in section for section in said):
            assert any("5% of traffic are affected. We are" in section for section in said)


def test_a_long_note_told_elsewhere_still_says_where(bot: BotClient) -> None:
    channel = sev2(bot)
    reply = bot.reply(bot.command("1 note " + "checkout errors " * 2500, channel=GENERAL))
    assert bot.runtime.work.wait_idle()
    assert channel
    said = json.dumps(reply)
    assert "Told in <#" in said, said[-300:]
