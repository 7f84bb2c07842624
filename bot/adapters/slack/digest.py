"""The weekly digest in Slack: the week's numbers against the weeks before, its incidents, and
the chart of response times (a PNG made with matplotlib, imported only when drawn)."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.adapters import reports
from bot.adapters.slack.blocks import FIELD_LIMIT, SEVERITY_EMOJI, section
from bot.adapters.slack.mrkdwn import date, escape, shortened, truncate
from bot.core.digest import WEEKS_BEFORE
from bot.core.insights import Metric, Report, Summary, Tally
from bot.services.chat import Message

LISTED = 15
"""The week's incidents listed at most (the rest counted)."""
TITLE_SHOWN = 150
"""A listed incident's title is cut to this many characters: 15 of them and the count of the
rest stay within a section's 3,000."""


def _all_deadlines(summary: Summary) -> Tally:
    met = sum(t.met for t in summary.deadlines.values())
    missed = sum(t.missed for t in summary.deadlines.values())
    return Tally(met, missed)


def _median(summary: Summary, metric: Metric) -> timedelta | None:
    return summary.metrics[metric].median


def _field(title: str, now: str, then: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(f"*{title}*\n{now} (before: {then})", FIELD_LIMIT))


def _incidents(week: Report) -> str:
    lines = [
        f"{SEVERITY_EMOJI.get(r.incident.severity, '')} #{r.id} "
        f"{shortened(escape(r.incident.title), TITLE_SHOWN)}"
        f" ({r.incident.state})"
        for r in week.incidents[:LISTED]
    ]
    if len(week.incidents) > LISTED:
        lines.append(f"…and {len(week.incidents) - LISTED} more")
    return "*This week's incidents*\n" + ("\n".join(lines) or "None. :tada:")


class SlackDigestWording:
    def message(self, week: Report, before: Report) -> Message:
        now, then = week.overall, before.overall
        average = then.incidents / WEEKS_BEFORE
        fields = [
            _field(
                f"Median {metric}",
                reports.took(_median(now, metric)),
                reports.took(_median(then, metric)),
            )
            for metric in (Metric.ACKNOWLEDGE, Metric.ASSEMBLE, Metric.FIRST_UPDATE, Metric.RESOLVE)
        ]
        fields.append(
            _field(
                "Deadlines met on time",
                reports.share(_all_deadlines(now)),
                reports.share(_all_deadlines(then)),
            )
        )
        scope = week.scope
        blocks: list[Block] = [
            HeaderBlock(text="Weekly incident digest"),
            section(
                f"*{reports.counted(now)}* incident(s) from {date(scope.since)} to "
                f"{date(scope.until)}; {average:.1f} a week in the {WEEKS_BEFORE} weeks before."
            ),
            SectionBlock(fields=fields),
            section(_incidents(week)),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Times from the declaration; `/incident stats` for yours, "
                        "`incident-bot report` for the whole record."
                    )
                ]
            ),
        ]
        text = f"Weekly incident digest: {now.incidents} incident(s)"
        return Message([block.to_dict() for block in blocks], text)

    def chart(self, span: Report) -> tuple[bytes, str]:
        from bot.adapters import charts

        title = f"Median response times, the last {WEEKS_BEFORE + 1} weeks"
        return charts.png(charts.response_times(span.by_period)), title
