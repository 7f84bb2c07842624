"""``/incident stats``: the insights summary as Block Kit, for the one who asked.

Within Slack's limits: a handful of sections (each under 3,000 characters, at most 10 fields
of under 2,000), service names escaped and shown in code, at most ``SERVICES_SHOWN`` listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.adapters import reports
from bot.adapters.slack.blocks import FIELD_LIMIT, Blocks, section
from bot.adapters.slack.mrkdwn import inert, truncate
from bot.core import durations
from bot.core.insights import NO_SERVICE, Metric, Report

SERVICES_SHOWN = 10
SERVICE_CHARACTERS = 80
GRAVE = "\u02cb"
"""What a backtick in a service's name is shown as (a modifier letter that looks like one)."""
"""A service's name is shown up to this long: ten of them stay within a section's 3,000."""


def _metric(report: Report, metric: Metric) -> MarkdownTextObject:
    s = report.overall.metrics[metric]
    if not s.count:
        said = "none reached yet"
    else:
        said = (
            f"median {reports.took(s.median)} · p90 {reports.took(s.p90)} · {s.count} incident(s)"
        )
    return MarkdownTextObject(text=truncate(f"*{metric.capitalize()}*\n{said}", FIELD_LIMIT))


def _deadlines(report: Report) -> str:
    lines = [
        f"• {kind.description} ({severity.label}): {t.met} met, {t.missed} missed"
        + (f", {t.pending} pending" if t.pending else "")
        for (kind, severity), t in report.overall.deadlines.items()
    ]
    return "*Deadlines* (met on time / missed)\n" + ("\n".join(lines) or "none yet")


def _services(report: Report) -> str:
    ranked = sorted(report.by_service.items(), key=lambda item: (-item[1].incidents, item[0]))
    lines = [f"• {_service(name)}: {s.incidents}" for name, s in ranked[:SERVICES_SHOWN]]
    more = len(ranked) - SERVICES_SHOWN
    if more > 0:
        lines.append(f"…and {more} more")
    return "*Incidents per service*\n" + ("\n".join(lines) or "none")


def _service(name: str) -> str:
    """A service's name as typed, in code: ``*checkout*`` shows its stars, not bold (mrkdwn
    formats nothing inside a code span, which a backtick in the name would end)."""
    if name == NO_SERVICE:
        return f"_{name}_"
    return f"`{inert(name[:SERVICE_CHARACTERS]).replace('`', GRAVE)}`"


def summary(report: Report) -> Blocks:
    """The report's overall numbers: incidents, response times, deadlines, rollbacks."""
    days = _period(report)
    overall = report.overall
    rollbacks = overall.rollbacks
    parts: Iterable[Block] = [
        HeaderBlock(text=f"Incidents, the last {days}"[:150]),
        section(f"*{reports.counted(overall)}* incident(s) declared."),
        SectionBlock(fields=[_metric(report, m) for m in Metric]),
        section(_deadlines(report)),
        section(f"*Rollback advice*: taken {rollbacks.taken}, set aside {rollbacks.set_aside}"),
        section(_services(report)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Times from the declaration. The whole report: `incident-bot report`."
                )
            ]
        ),
    ]
    return [block.to_dict() for block in parts]


def headline(report: Report) -> str:
    """The reply's plain text (for notifications)."""
    return f"{report.overall.incidents} incident(s) in the last {_period(report)}"


def _period(report: Report) -> str:
    return durations.humanize(report.scope.until - report.scope.since)
