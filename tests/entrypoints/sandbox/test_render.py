"""The sandbox's terminal rendering of Slack messages: mrkdwn, Block Kit and the bot's own cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.adapters import template_samples
from bot.adapters.slack import blocks
from bot.adapters.slack import mrkdwn as slack_mrkdwn
from bot.adapters.slack.rollback import SlackRollbackWording
from bot.adapters.templates import Templates
from bot.core import rollback as core_rollback
from bot.core.model import Severity
from bot.core.rollback import Deploy
from bot.entrypoints.sandbox import render
from bot.entrypoints.sandbox.render import Button, Rendered
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.services.read_model import IncidentView

ROOT = Path(__file__).resolve().parents[3]
UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
MOMENT = 1_700_000_000  # Tuesday 2023-11-14 22:13:20 UTC, 17:13:20 in New York (EST)
NOW = datetime(2023, 11, 14, 22, 20, tzinfo=UTC)


USERS = {"U123": "alice", "U0BOB": "bob", "U0ALICE": "alice", "U0CAROL": "carol"}
CHANNELS = {"C123": "inc-1-checkout", "C0INCIDENT": "inc-1-checkout"}
GROUPS = {"S0PAYMENTS": "payments", "S0SRELEADS": "sre-leads"}


class Directory:
    """The sandbox's people, channels and teams; unknown ids are shown as they are."""

    def user(self, user_id: str) -> str:
        return USERS.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return CHANNELS.get(channel_id, channel_id)

    def group(self, group_id: str) -> str:
        return GROUPS.get(group_id, group_id)


def md(text: str, tz: ZoneInfo = UTC_ZONE, now: datetime = NOW) -> str:
    return render.mrkdwn(text, Directory(), tz, now)


def show(
    content: list[dict[str, Any]] | None,
    text: str | None = None,
    first_button: int = 1,
    tz: ZoneInfo = UTC_ZONE,
    now: datetime = NOW,
) -> Rendered:
    return render.message(content, text, Directory(), tz, now, first_button)


def date_token(style: str, moment: int = MOMENT) -> str:
    return f"<!date^{moment}^{style}|fallback>"


# --- mentions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123> is on it", "@alice is on it"),
        ("<@U123|alice-old-name> is on it", "@alice is on it"),
        ("ping <#C123>", "ping #inc-1-checkout"),
        ("ping <#C123|old-name>", "ping #inc-1-checkout"),
        ("<!subteam^S0PAYMENTS> please look", "@payments please look"),
        ("<!subteam^S0PAYMENTS|@payments-old> please look", "@payments please look"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!here|here> now", "@here now"),
        ("<@U0UNKNOWN>", "@U0UNKNOWN"),
    ],
)
def test_mentions_are_shown_by_name(text: str, expected: str) -> None:
    assert md(text) == expected


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("{date_num}", "2023-11-14"),
        ("{date}", "November 14th, 2023"),
        ("{date_short}", "Nov 14, 2023"),
        ("{date_long}", "Tuesday, November 14th, 2023"),
        ("{date_pretty}", "Today"),
        ("{date_short_pretty}", "Today"),
        ("{date_long_pretty}", "Today"),
        ("{time}", "22:13"),
        ("{time_secs}", "22:13:20"),
        ("{ago}", "6 minutes ago"),
        ("{date_num} {time_secs}", "2023-11-14 22:13:20"),
        ("due {date_short_pretty} at {time}", "due Today at 22:13"),
    ],
)
def test_date_tokens_in_utc(style: str, expected: str) -> None:
    assert md(date_token(style)) == expected


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("{date_num} {time_secs}", "2023-11-14 17:13:20"),
        ("{date_long}", "Tuesday, November 14th, 2023"),
        ("{time}", "17:13"),
        ("{ago}", "6 minutes ago"),
    ],
)
def test_date_tokens_are_converted_to_the_timezone(style: str, expected: str) -> None:
    assert md(date_token(style), tz=NEW_YORK) == expected


def test_the_date_can_fall_on_another_day_in_the_timezone() -> None:
    late_evening = 1_700_017_200  # 2023-11-15 03:00 UTC, 2023-11-14 22:00 in New York
    token = date_token("{date_num} {time}", late_evening)
    assert md(token) == "2023-11-15 03:00"
    assert md(token, tz=NEW_YORK) == "2023-11-14 22:00"


def test_new_york_is_four_hours_behind_in_summer_and_five_in_winter() -> None:
    summer = int(datetime(2023, 7, 10, 14, 40, tzinfo=UTC).timestamp())
    winter = int(datetime(2023, 1, 10, 14, 40, tzinfo=UTC).timestamp())
    assert md(date_token("{time}", summer), tz=NEW_YORK) == "10:40"
    assert md(date_token("{time}", winter), tz=NEW_YORK) == "09:40"


def test_the_clocks_spring_forward_between_two_minutes() -> None:
    before = int(datetime(2024, 3, 10, 6, 59, tzinfo=UTC).timestamp())  # 01:59 EST
    after = before + 60  # 03:00 EDT: 02:00-02:59 never happens that night
    assert md(date_token("{time}", before), tz=NEW_YORK) == "01:59"
    assert md(date_token("{time}", after), tz=NEW_YORK) == "03:00"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-2, "Nov 12, 2023 22:13"),
        (-1, "Yesterday 22:13"),
        (0, "Today 22:13"),
        (1, "Tomorrow 22:13"),
        (2, "Nov 16, 2023 22:13"),
    ],
)
def test_pretty_dates_name_the_days_next_to_today(days: int, expected: str) -> None:
    moment = MOMENT + days * 86400
    assert md(date_token("{date_short_pretty} {time}", moment)) == expected


def test_today_is_reckoned_in_the_timezone() -> None:
    moment = 1_700_017_200  # 2023-11-15 03:00 UTC, still the 14th in New York
    now = datetime(2023, 11, 14, 20, 0, tzinfo=UTC)
    assert md(date_token("{date_pretty}", moment), now=now) == "Tomorrow"
    assert md(date_token("{date_pretty}", moment), tz=NEW_YORK, now=now) == "Today"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2023, 11, 14, 22, 13, 50, tzinfo=UTC), "just now"),
        (datetime(2023, 11, 14, 22, 14, 20, tzinfo=UTC), "1 minute ago"),
        (datetime(2023, 11, 14, 23, 20, tzinfo=UTC), "1 hour ago"),
        (datetime(2023, 11, 17, 22, 20, tzinfo=UTC), "3 days ago"),
        (datetime(2023, 11, 14, 22, 8, 20, tzinfo=UTC), "in 5 minutes"),
        (datetime(2023, 11, 14, 19, 0, tzinfo=UTC), "in 3 hours"),
    ],
)
def test_ago_is_relative_to_now(now: datetime, expected: str) -> None:
    assert md(date_token("{ago}"), now=now) == expected


def test_unknown_date_tokens_stay_as_written() -> None:
    assert md(date_token("{time} {weekday_of_doom}")) == "22:13 {weekday_of_doom}"


def test_a_date_with_a_link_shows_the_link() -> None:
    text = f"<!date^{MOMENT}^{{time}}^https://x.example/log|22:13 UTC>"
    assert md(text) == "22:13 (https://x.example/log)"


def test_an_unreadable_date_shows_its_fallback() -> None:
    assert md("<!date^soon^{time}|2023-11-14 22:13 UTC>") == "2023-11-14 22:13 UTC"


def test_the_bots_own_date_helper_renders_in_the_sandbox_timezone() -> None:
    started = datetime(2023, 11, 14, 22, 13, tzinfo=UTC)
    assert md(slack_mrkdwn.date(started)) == "Today 22:13"
    assert md(slack_mrkdwn.date(started), tz=NEW_YORK) == "Today 17:13"


# --- escapes and links -----------------------------------------------------------------------


def test_escaped_text_stays_literal_and_is_not_a_mention() -> None:
    assert md("&lt;@U123&gt; &lt;!channel&gt;") == "<@U123> <!channel>"


def test_escapes_are_undone_once() -> None:
    assert md("a &amp;lt; b &amp;amp; c &gt; d") == "a &lt; b &amp; c > d"


def test_hostile_text_escaped_by_the_bot_reads_as_typed() -> None:
    typed = "<!channel> <@U0EVIL> & <https://evil.example|click>"
    assert md(slack_mrkdwn.inert(typed)) == typed
    assert md(slack_mrkdwn.escape(slack_mrkdwn.inert(typed))) == typed  # never escaped twice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see <https://x.example/a|the link>", "see the link (https://x.example/a)"),
        ("see <https://x.example/a>", "see https://x.example/a"),
        ("see <https://x.example/a|https://x.example/a>", "see https://x.example/a"),
        ("mail <mailto:a@b.c|a@b.c>", "mail a@b.c"),
        ("mail <mailto:a@b.c>", "mail a@b.c"),
        ("<https://x.example/?a=1&amp;b=2|Q &amp; A>", "Q & A (https://x.example/?a=1&b=2)"),
    ],
)
def test_links_show_their_label_and_url(text: str, expected: str) -> None:
    assert md(text) == expected


def test_formatting_emoji_and_newlines_are_kept() -> None:
    text = ":rotating_light: *bold* _italic_ ~strike~ `code`\n```\nblock\n```"
    assert md(text) == text


def test_angle_brackets_that_are_no_control_sequence_stay() -> None:
    assert md("`/incident sev1 <title>`") == "`/incident sev1 <title>`"


# --- messages --------------------------------------------------------------------------------


def incident_card() -> list[dict[str, Any]]:
    return [
        block.to_dict()
        for block in [
            HeaderBlock(text=":red_circle: Sev1 · Incident 7"),
            SectionBlock(
                text=MarkdownTextObject(text="*Checkout 500s*\nowned by <!subteam^S0PAYMENTS>"),
                fields=[
                    MarkdownTextObject(text="*Commander*\n<@U123>"),
                    MarkdownTextObject(text=f"*Started*\n{date_token('{time}')}"),
                ],
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(text="Channel <#C123>"),
                    ImageElement(image_url="https://x.example/pd.png", alt_text="PagerDuty"),
                    PlainTextObject(text="paged"),
                ]
            ),
            DividerBlock(),
            ActionsBlock(
                block_id="incident-7",
                elements=[
                    ButtonElement(text="Acknowledge", action_id="incident.ack", value="7"),
                    ButtonElement(
                        text="I'm responding",
                        action_id="incident.join",
                        value="7",
                        style="primary",
                    ),
                    ButtonElement(
                        text="Resolve", action_id="incident.resolve", value="7", style="danger"
                    ),
                ],
            ),
        ]
    ]


def test_an_incident_card_reads_top_to_bottom_with_numbered_buttons() -> None:
    shown = show(incident_card(), "Sev1 incident 7", first_button=5)
    assert shown.lines == [
        ":red_circle: Sev1 · Incident 7",
        "═" * len(":red_circle: Sev1 · Incident 7"),
        "*Checkout 500s*",
        "owned by @payments",
        "  *Commander* @alice",
        "  *Started* 22:13",
        "  Channel #inc-1-checkout  ·  PagerDuty  ·  paged",
        "─" * 40,
        "[5] Acknowledge   [6] I'm responding (primary)   [7] Resolve (danger)",
    ]
    assert shown.buttons == [
        Button(5, "Acknowledge", "incident.ack", "7", "incident-7", None),
        Button(6, "I'm responding", "incident.join", "7", "incident-7", "primary"),
        Button(7, "Resolve", "incident.resolve", "7", "incident-7", "danger"),
    ]


def test_rendering_is_deterministic() -> None:
    assert show(incident_card()) == show(incident_card())


def test_the_header_rule_is_capped_at_60() -> None:
    title = "x" * 80
    assert show([HeaderBlock(text=title).to_dict()]).lines == [title, "═" * 60]


def test_the_fallback_text_is_shown_when_there_are_no_blocks() -> None:
    assert show(None, "<@U123> declared\n*Sev1*").lines == ["@alice declared", "*Sev1*"]
    assert show([], "just text").lines == ["just text"]
    assert show(None, None) == Rendered([], [])


def test_the_fallback_text_is_ignored_when_there_are_blocks() -> None:
    content = [{"type": "section", "text": {"type": "mrkdwn", "text": "from the blocks"}}]
    assert show(content, "from the fallback").lines == ["from the blocks"]


def test_unknown_blocks_are_named() -> None:
    assert show([{"type": "video", "title": {"type": "plain_text", "text": "x"}}]).lines == [
        "[video block]"
    ]


def test_plain_text_is_not_mrkdwn() -> None:
    content = [{"type": "section", "text": {"type": "plain_text", "text": "<@U123> :tada: &amp;"}}]
    assert show(content).lines == ["<@U123> :tada: &amp;"]


def test_trailing_whitespace_is_stripped() -> None:
    content = [{"type": "section", "text": {"type": "mrkdwn", "text": "done   \nnext  "}}]
    assert show(content).lines == ["done", "next"]


def test_a_section_accessory_button_follows_the_text_and_numbering_runs_across_blocks() -> None:
    content = [
        SectionBlock(
            block_id="deploy",
            text="*checkout* v42",
            accessory=ButtonElement(text="Roll back", action_id="rollback", style="danger"),
        ).to_dict(),
        ActionsBlock(elements=[ButtonElement(text="Next", action_id="next", value="n")]).to_dict(),
    ]
    shown = show(content, first_button=3)
    assert shown.lines == ["*checkout* v42", "[3] Roll back (danger)", "[4] Next"]
    assert shown.buttons == [
        Button(3, "Roll back", "rollback", "", "deploy", "danger"),
        Button(4, "Next", "next", "n", "", None),
    ]


def test_links_and_menus_are_shown_but_not_numbered() -> None:
    menu = StaticSelectElement(
        placeholder="Pick a severity",
        action_id="sev",
        options=[Option(text="Sev1", value="1"), Option(text="Sev2", value="2")],
    )
    overflow = OverflowMenuElement(
        action_id="more",
        options=[Option(text=t, value=t) for t in ("Mute", "Snooze", "Escalate", "Close")],
    )
    content = [
        ActionsBlock(
            elements=[
                ButtonElement(text="Runbook", url="https://x.example/runbook", action_id="rb"),
                menu,
                overflow,
                ButtonElement(text="Ack", action_id="ack", value="1"),
            ]
        ).to_dict(),
        SectionBlock(text="Owner", accessory=menu).to_dict(),
    ]
    shown = show(content)
    assert shown.lines == [
        "Runbook (https://x.example/runbook)   [menu: Pick a severity]   "
        "[menu: Mute, Snooze, Escalate, …]   [1] Ack",
        "Owner",
        "[menu: Pick a severity]",
    ]
    assert [b.label for b in shown.buttons] == ["Ack"]


def test_images_inputs_and_markdown_blocks() -> None:
    content: list[dict[str, Any]] = [
        {"type": "image", "image_url": "https://x.example/g.png", "alt_text": "error rate"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Graph"},
            "accessory": {"type": "image", "image_url": "https://x", "alt_text": "p99"},
        },
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Impact"},
            "element": {"type": "plain_text_input", "action_id": "impact"},
        },
        {"type": "markdown", "text": "**bold**\n- item"},
    ]
    assert show(content).lines == [
        "[image: error rate]",
        "Graph",
        "[image: p99]",
        "Impact: (input)",
        "**bold**",
        "- item",
    ]


def test_rich_text_is_flattened() -> None:
    content = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Hi "},
                        {"type": "user", "user_id": "U123"},
                        {"type": "text", "text": " in "},
                        {"type": "channel", "channel_id": "C123"},
                        {"type": "text", "text": " ", "style": {"bold": True}},
                        {"type": "text", "text": "now ", "style": {"bold": True}},
                        {
                            "type": "text",
                            "text": "kubectl",
                            "style": {"code": True, "italic": True},
                        },
                        {"type": "emoji", "name": "fire"},
                        {"type": "text", "text": "\n"},
                        {"type": "link", "url": "https://x.example", "text": "dash"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [
                                {"type": "usergroup", "usergroup_id": "S0PAYMENTS"},
                                {"type": "text", "text": " paged"},
                            ],
                        },
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "broadcast", "range": "here"}],
                        },
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "ordered",
                    "indent": 1,
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "a"}]},
                    ],
                },
                {
                    "type": "rich_text_preformatted",
                    "elements": [{"type": "text", "text": "kubectl rollout undo\ndone"}],
                },
                {
                    "type": "rich_text_quote",
                    "elements": [
                        {"type": "text", "text": "since "},
                        {"type": "date", "timestamp": MOMENT, "format": "{time}"},
                    ],
                },
            ],
        }
    ]
    assert show(content).lines == [
        "Hi @alice in #inc-1-checkout *now* _`kubectl`_:fire:",
        "dash (https://x.example)",
        "• @payments paged",
        "• @here",
        "  1. a",
        "```",
        "kubectl rollout undo",
        "done",
        "```",
        "> since 22:13",
    ]


def test_malformed_blocks_do_not_crash() -> None:
    content: list[dict[str, Any]] = [
        {"type": "section"},
        {"type": "actions", "elements": [{"type": "button"}, "not a dict"]},
        {"type": "context", "elements": None},
        {},
    ]
    shown = show(content)
    assert shown.lines == ["[1]", "", "[unknown block]"]
    assert shown.buttons == [Button(1, "", "", "", "", None)]


# --- what the bot really sends ---------------------------------------------------------------


def sample() -> tuple[IncidentView, Playbooks]:
    view, _ = template_samples.incident_view()
    playbooks = loader.load(ROOT / "playbooks")
    return view, playbooks


def test_the_bots_incident_card_renders() -> None:
    view, playbooks = sample()
    shown = show(blocks.card(view, playbooks[Severity.SEV1]), first_button=5, now=view.now)
    lines = shown.lines
    assert lines[:3] == [
        ":red_circle: Sev1 · Incident 1",
        "═" * len(":red_circle: Sev1 · Incident 1"),
        "*checkout is returning 500s*",
    ]
    assert "  *State* Resolved" in lines
    assert "  *Commander* @bob" in lines
    assert "  *Started* Today 03:00" in lines
    assert "  *Responders* @bob @carol" in lines
    assert "─" * 40 in lines
    assert lines[-2:] == [
        "[5] Reopen",
        "  Updated Today 04:00 · `/incident help` for every command",
    ]
    assert shown.buttons == [
        Button(5, "Reopen", "incident.reopen", "1:resolved:2", "incident-1", None)
    ]
    assert not any("<" in line and ">" in line for line in lines if "`" not in line)


def test_the_bots_card_in_new_york_shows_the_evening_before() -> None:
    view, playbooks = sample()  # started 2026-03-14 03:00 UTC: 23:00 on the 13th in New York
    shown = show(blocks.card(view, playbooks[Severity.SEV1]), tz=NEW_YORK, now=view.now)
    assert "  *Started* Yesterday 23:00" in shown.lines


def test_the_bots_severity_confirmation_has_one_dangerous_button() -> None:
    view, _ = sample()
    shown = show(blocks.severity_confirmation(view, Severity.SEV2), first_button=2)
    assert shown.lines[-1] == "[2] Change to Sev2 (danger)"
    assert shown.buttons == [
        Button(2, "Change to Sev2", "incident.severity", "1:sev2:sev1:0", "", "danger")
    ]


def test_the_bots_timeline_shows_seconds_and_names() -> None:
    view, _ = sample()
    shown = show(blocks.timeline(view), now=view.now)
    assert shown.lines[0] == "*Timeline of Sev1 incident 1: checkout is returning 500s*"
    assert (
        shown.lines[1] == "2026-03-14 03:00:00 @alice declared a Sev1: checkout is returning 500s"
    )
    assert "2026-03-14 03:02:00 @alice made @bob incident commander" in shown.lines
    assert shown.buttons == []


def test_the_bots_deploy_list_and_notices() -> None:
    now = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
    deploy = Deploy("checkout", "v42", now - timedelta(minutes=20), "dana", "abc1234def5678")
    assert show(blocks.deploy_list([deploy], now, "checkout")).lines == [
        "*Recent deploys of `checkout`, newest first*",
        "• `checkout` v42 (commit `abc1234def56`) by dana, 20 minutes ago",
    ]
    assert show(blocks.error("Only the <b> & co.")).lines == [":warning: Only the <b> & co."]
    assert show(blocks.notice(slack_mrkdwn.inert("<@U123> & co"))).lines == [
        ":information_source: <@U123> & co"
    ]
    assert show(blocks.notice(slack_mrkdwn.escape("<@U123> &amp; co"))).lines == [
        ":information_source: @alice & co"  # a mention, as Slack sent it, shown as one
    ]


def test_the_bots_rollback_advice_numbers_its_three_buttons() -> None:
    view, playbooks = sample()
    incident = view
    rule = playbooks.policies[Severity.SEV1].rollback
    assert rule is not None
    deploy = Deploy("checkout", "v42", incident.started_at - timedelta(minutes=30), "dana")
    advice = core_rollback.recommend(incident.started_at, incident.services, [deploy], rule)
    said = SlackRollbackWording(playbooks).advice(view, advice, rule)
    shown = show(said.content, said.text, first_button=1, now=view.now)
    assert shown.lines[0].startswith(":rotating_light: *Roll back now*")
    assert shown.lines[-1] == "[1] Roll back (danger)   [2] Not related   [3] Already rolled back"
    assert "`checkout` v42" in shown.lines[-2]
    assert "finished Today 02:30, 30 minutes before the issue started" in shown.lines[-2]
    assert [(b.number, b.action_id, b.style) for b in shown.buttons] == [
        (1, "incident.rollback", "danger"),
        (2, "incident.not_related", None),
        (3, "incident.rolled_back", None),
    ]
    assert shown.buttons[0].value == f"b0|1|checkout|{deploy.finished_at.isoformat()}|v42"


def test_the_bots_overdue_alert_names_the_escalation_team() -> None:
    context = template_samples.SAMPLES["deadline_overdue.md.j2"]()
    text = Templates(ROOT / "templates").render("deadline_overdue.md.j2", **context)
    lines = show(blocks.notice(text, ""), text).lines
    assert any("Escalating to @sre-leads." in line for line in lines)
    assert any("Owner: @bob." in line for line in lines)
    # The sample's hostile title is shown as typed, never as a broadcast or a link.
    assert any(template_samples.HOSTILE_SHOWN in line for line in lines)
