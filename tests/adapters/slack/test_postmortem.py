"""`/incident postmortem`: the draft from the record, uploaded and saved; publishing meets it."""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from bot.adapters.db.incidents import Incidents
from bot.adapters.db.postmortems import Postmortems
from bot.adapters.slack.verbs import VERBS
from bot.core.model import EventKind
from tests.adapters.slack.conftest import BotClient, on_the_card, text_of


def test_draft_then_publish(bot: BotClient) -> None:
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    steps = [
        "ack",
        "ic <@U0BOB|bob>",  # a responder takes command: ending the incident is the commander's
        'update impact="errors at checkout" affected=5% action="rolling back" next=30m',
        "resolve",
    ]
    for done, step in enumerate(steps, start=1):  # one at a time, as people would
        bot.command(step, user="U0BOB", channel=channel)
        bot.slack.wait_for("chat.update", count=done, predicate=on_the_card)
    reply = bot.reply(bot.command("postmortem", channel=channel))
    assert "The post-mortem draft is in the channel, and kept with the incident" in reply["text"]
    [uploaded] = bot.slack.files.values()
    draft = uploaded.content.decode()
    assert uploaded.channels == [channel]
    assert draft.startswith("# Post-mortem: checkout is returning 500s")
    assert "We are aware of errors at checkout. 5% of traffic are affected." in draft
    assert "| post-mortem published | " in draft
    with bot.runtime.sessions() as session:
        saved = Postmortems(session).get(1)
    assert saved is not None
    assert saved.draft == draft

    bad = bot.command("postmortem done not-a-url", channel=channel).json()
    assert "postmortem done https://" in bad["text"]
    bot.command("postmortem done https://wiki.example/pm-1", user="U0BOB", channel=channel)
    bot.slack.wait_for("chat.update", count=5, predicate=on_the_card)
    card = text_of(bot.slack.messages(channel)[0])
    assert ":white_check_mark: Post-mortem published" in card
    with bot.runtime.sessions() as session:
        events = Incidents(session).timeline.events(1)
        published = Postmortems(session).get(1)
    assert events[-1].kind is EventKind.POSTMORTEM_PUBLISHED
    assert published is not None
    assert published.published_url == "https://wiki.example/pm-1"


def test_a_published_post_mortem_is_refused_until_the_incident_is_resolved(bot: BotClient) -> None:
    bot.reply(bot.command("sev1 checkout is returning 500s"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    early = bot.reply(bot.command("postmortem done https://wiki.example/pm-1", channel=channel))
    assert "Incident 1 is still investigating, so nothing was recorded" in early["text"]
    assert "`/incident 1 resolve`" in early["text"]
    with bot.runtime.sessions() as session:
        kinds = [e.kind for e in Incidents(session).timeline.events(1)]
        assert Postmortems(session).get(1) is None
    assert EventKind.POSTMORTEM_PUBLISHED not in kinds


def test_the_draft_names_people_channels_and_links_as_words(bot: BotClient) -> None:
    """What Slack sent (mentions, a channel, a link, escaped & and <) reads as words in the
    file, where no mention renders; the URL Slack sends as a link is taken as the URL."""
    bot.reply(bot.command("sev1 checkout &amp; payments fail for <@U0BOB|bob> &lt;sev&gt;"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    steps = [
        "note <@U0CAROL> saw it in <#C0GENERAL|general>, see <https://grafana.example/d|dash>",
        "note the logs say:\n# not a heading\n- nor a list",
        "note ask <#C0TRIAGE> and <!subteam^S0PAYMENTS>, not <#C0NOSUCH> or <!subteam^S0NONE>",
    ]
    for step in steps:
        assert bot.command(step, user="U0BOB", channel=channel).status == 200
        assert bot.runtime.work.wait_idle()
    bot.reply(bot.command("postmortem", channel=channel))
    [uploaded] = bot.slack.files.values()
    draft = uploaded.content.decode()
    assert draft.startswith("# Post-mortem: checkout \\& payments fail for @bob \\<sev\\>")
    assert "saw it in #general, see dash (https://grafana.example/d)" in draft
    assert "&lt;" not in draft and "&amp;" not in draft and "<@" not in draft
    assert "note added: the logs say:\n  \\# not a heading\n  \\- nor a list" in draft
    assert "ask #triage and @payments, not #C0NOSUCH or @S0NONE" in draft  # by name, else id


HOSTILE = "a<b>c [click](javascript:alert(1)) <img src=x onerror=alert(1)> | *pipe* `x`"


def test_the_draft_shows_markup_people_typed_as_they_typed_it(bot: BotClient) -> None:
    """Markdown and HTML in a title, a note, a service, a role or an update's impact are shown
    in the file as typed: no link, image, tag or emphasis of their own; tables keep their
    columns."""
    typed = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    bot.reply(bot.command(f"sev2 {typed}"))
    channel = str(bot.slack.calls_to("conversations.create")[0].response["channel"]["id"])
    steps = [
        f"note {typed}",
        "service checkout a|b",
        "role a|b <@U0BOB|bob>",
        f'update impact="{typed}" affected=5% action="a|b" next=30m',
        "follow-up fix a|b *now* <@U0BOB|bob>",
    ]
    for step in steps:
        assert bot.command(step, channel=channel).status == 200
        assert bot.runtime.work.wait_idle()
    bot.reply(bot.command("postmortem", channel=channel))
    [uploaded] = bot.slack.files.values()
    tokens = MarkdownIt().enable(["table", "strikethrough"]).parse(uploaded.content.decode())
    shown = [t for t in tokens if t.type == "inline" and "click" in t.content]
    assert len(shown) >= 4  # the title, the note, the impact, the update
    for inline in shown:
        assert {c.type for c in inline.children or []} <= {"text", "softbreak"}, inline.content
    heading = "".join(c.content for c in shown[0].children or [])
    assert heading == f"Post-mortem: {HOSTILE}"
    # summary, durations, compliance, follow-ups: each row with its table's columns
    assert _cells_per_row_of_each_table(tokens) == [2, 2, 5, 6]


def _cells_per_row_of_each_table(tokens: list[Any]) -> list[int]:
    """Each table's cell count, when all its rows have as many cells (else it fails)."""
    counts: list[int] = []
    row: list[int] = []
    for token in tokens:
        if token.type == "table_open":
            row = []
        elif token.type == "tr_open":
            row.append(0)
        elif token.type in ("td_open", "th_open"):
            row[-1] += 1
        elif token.type == "table_close":
            assert len(set(row)) == 1, row
            counts.append(row[0])
    return counts


@pytest.mark.parametrize(
    "typed",
    [
        "postmortem done https://wiki.example/pm-1",
        "postmortem done <https://wiki.example/pm-1>",  # as Slack sends a typed URL
        "postmortem done <https://wiki.example/pm-1|wiki.example/pm-1>",
    ],
)
def test_the_published_url_is_read_as_slack_sends_it(typed: str) -> None:
    assert VERBS.parse(typed).text == "https://wiki.example/pm-1"
