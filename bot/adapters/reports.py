"""The insights report as text for a terminal, CSV for a spreadsheet and JSON for programs.

Durations are whole seconds in CSV and JSON (``*_seconds``), compact (``1h30m``) in text;
times are UTC. The HTML report with charts is ``bot.adapters.report_html``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from bot.core import durations
from bot.core.deadline_kinds import DeadlineKind
from bot.core.insights import Metric, Report, Stats, Summary, Tally
from bot.core.model import Severity

CSV_HEADER = (
    "section",
    "group",
    "measure",
    "count",
    "mean_seconds",
    "median_seconds",
    "p90_seconds",
    "met",
    "missed",
    "pending",
)


def _seconds(delta: timedelta | None) -> int | None:
    """Whole seconds, rounded up (never down), or None."""
    return None if delta is None else math.ceil(delta.total_seconds())


def took(delta: timedelta | None) -> str:
    """``1h30m``, ``45m``, ``-`` for none (seconds rounded up, never down)."""
    if delta is None:
        return "-"
    return durations.compact(timedelta(seconds=math.ceil(delta.total_seconds())))


def share(tally: Tally) -> str:
    """``75%`` met on time, ``-`` when none is met or missed yet."""
    rate = tally.met_share
    return "-" if rate is None else f"{rate:.0%}"


def period_of(report: Report) -> str:
    scope = report.scope
    return f"{scope.since:%Y-%m-%d %H:%M} to {scope.until:%Y-%m-%d %H:%M} UTC"


def filters(report: Report) -> str:
    chosen = ", ".join(sorted(s.label for s in report.scope.severities))
    severities = f"{chosen} (at any point)" if chosen else "all"
    services = printable(", ".join(sorted(report.scope.services))) or "all"
    return f"severities: {severities}; services: {services}"


def counted(summary: Summary) -> str:
    parts = [f"{s.label} {n}" for s, n in summary.by_severity.items() if n]
    return f"{summary.incidents}" + (f" ({', '.join(parts)})" if parts else "")


def printable(text: str) -> str:
    """``text`` safe to print to a terminal: each control or format character (an escape
    sequence an alert label carried, a right-to-left override) shown as its escape, ``\x1b``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _table(rows: list[list[str]]) -> list[str]:
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def text(report: Report) -> str:
    """The report for a terminal: the numbers, then a line per severity, service and period."""
    overall = report.overall
    lines = [
        f"Incident report, {period_of(report)} ({filters(report)})",
        f"Incidents: {counted(overall)}",
        "",
        "Response times, from the declaration:",
        *_table(
            [["", "count", "mean", "median", "p90"]]
            + [
                [str(metric), str(s.count), took(s.mean), took(s.median), took(s.p90)]
                for metric, s in overall.metrics.items()
            ]
        ),
        "",
        "Deadlines (met on time / missed / pending; those replaced before due not counted):",
    ]
    if overall.deadlines:
        lines += _table(
            [["", "met", "missed", "pending", "met %"]]
            + [
                [
                    f"{kind.description} ({severity.label})",
                    str(t.met),
                    str(t.missed),
                    str(t.pending),
                    share(t),
                ]
                for (kind, severity), t in overall.deadlines.items()
            ]
        )
    else:
        lines.append("none")
    rollbacks = overall.rollbacks
    lines += [
        "",
        f"Rollback advice: taken {rollbacks.taken}, set aside {rollbacks.set_aside}",
    ]
    for title, groups in _groupings(report).items():
        lines += ["", f"By {title}:"]
        lines += _group_table(groups) if groups else ["none"]
    return "\n".join(lines) + "\n"


def _groupings(report: Report) -> dict[str, Mapping[str, Summary]]:
    return {
        "severity": report.by_severity,
        "service": report.by_service,
        str(report.period): report.by_period,
    }


def _group_table(groups: Mapping[str, Summary]) -> list[str]:
    rows = [["", "incidents", "ack median", "resolve median", "resolve p90", "deadlines met"]]
    for group, s in groups.items():
        ack, resolve = s.metrics[Metric.ACKNOWLEDGE], s.metrics[Metric.RESOLVE]
        rows.append(
            [
                group,
                str(s.incidents),
                took(ack.median),
                took(resolve.median),
                took(resolve.p90),
                share(_all(s)),
            ]
        )
    return _table(rows)


def _all(summary: Summary) -> Tally:
    """Every deadline of the summary together."""
    total = Tally()
    for kind in DeadlineKind:
        t = summary.deadlines_of(kind)
        total = Tally(total.met + t.met, total.missed + t.missed, total.pending + t.pending)
    return total


def _stats_row(section: str, group: str, measure: str, s: Stats) -> list[object]:
    return [
        section,
        group,
        measure,
        s.count,
        _seconds(s.mean),
        _seconds(s.median),
        _seconds(s.p90),
        "",
        "",
        "",
    ]


def _rows(report: Report) -> Iterator[list[object]]:
    sections = {
        "overall": {"all": report.overall},
        **{f"by {k}": v for k, v in _groupings(report).items()},
    }
    for section, groups in sections.items():
        for group, summary in groups.items():
            yield [section, group, "incidents", summary.incidents, "", "", "", "", "", ""]
            for metric, s in summary.metrics.items():
                yield _stats_row(section, group, str(metric), s)
            for (kind, severity), t in summary.deadlines.items():
                yield [
                    section,
                    group,
                    f"deadline {kind} {severity}",
                    "",
                    "",
                    "",
                    "",
                    t.met,
                    t.missed,
                    t.pending,
                ]
            r = summary.rollbacks
            yield [section, group, "rollback advice taken", r.taken, "", "", "", "", "", ""]
            yield [section, group, "rollback advice set aside", r.set_aside, "", "", "", "", "", ""]


def csv_text(report: Report) -> str:
    """One row per measure of each group (section ``overall``, ``by severity``, ...); empty
    cells where a measure has no such column or no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in _rows(report):
        writer.writerow(["" if cell is None else _inert_cell(cell) for cell in row])
    return out.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert_cell(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula (a service an alert named
    ``=HYPERLINK(…)``) with a ``'`` before it, as OWASP's CSV injection advice says; numbers
    stay numbers."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "incidents": summary.incidents,
        "by_severity": {str(s): n for s, n in summary.by_severity.items()},
        "metrics": {
            str(metric): {
                "count": s.count,
                "mean_seconds": _seconds(s.mean),
                "median_seconds": _seconds(s.median),
                "p90_seconds": _seconds(s.p90),
            }
            for metric, s in summary.metrics.items()
        },
        "deadlines": [
            {
                "kind": str(kind),
                "severity": str(severity),
                "met": t.met,
                "missed": t.missed,
                "pending": t.pending,
            }
            for (kind, severity), t in summary.deadlines.items()
        ],
        "rollback_advice": {
            "taken": summary.rollbacks.taken,
            "set_aside": summary.rollbacks.set_aside,
        },
    }


def json_text(report: Report) -> str:
    """``{"since", "until", "severities", "services", "overall", "by_severity", "by_service",
    "by_week" | "by_month"}``, each summary as ``_summary_json`` shapes it."""
    scope = report.scope
    document: dict[str, Any] = {
        "since": scope.since.isoformat(),
        "until": scope.until.isoformat(),
        "severities": sorted(str(s) for s in scope.severities) or [str(s) for s in Severity],
        "services": sorted(scope.services),
        "overall": _summary_json(report.overall),
    }
    for name, groups in _groupings(report).items():
        document[f"by_{name}"] = {g: _summary_json(s) for g, s in groups.items()}
    return json.dumps(document, indent=2) + "\n"
