"""The insights report as one self-contained HTML file: tables and inline SVG charts, no
script, no stylesheet or image fetched from anywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bot.adapters import charts, reports
from bot.core.insights import Metric, Report, Summary, Tally

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1rem 0 2rem; }
figure svg { max-width: 100%; height: auto; }
.note { color: #666; font-size: 0.9rem; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def deadline_labels(summary: Summary) -> dict[str, Tally]:
    """Each kind and severity's tally, labelled for people ("status update to stakeholders
    (Sev1)")."""
    return {
        f"{kind.description} ({severity.label})": tally
        for (kind, severity), tally in summary.deadlines.items()
    }


def _metrics(summary: Summary) -> str:
    rows = [
        [
            str(metric),
            str(s.count),
            reports.took(s.mean),
            reports.took(s.median),
            reports.took(s.p90),
        ]
        for metric, s in summary.metrics.items()
    ]
    return _table(["", "incidents", "mean", "median", "p90"], rows)


def _deadlines(summary: Summary) -> str:
    rows = [
        [label, str(t.met), str(t.missed), str(t.pending), reports.share(t)]
        for label, t in deadline_labels(summary).items()
    ]
    return _table(["", "met", "missed", "pending", "met on time"], rows)


def _groups(title: str, groups: Mapping[str, Summary]) -> str:
    rows = [
        [
            group,
            str(s.incidents),
            reports.took(s.metrics[Metric.ACKNOWLEDGE].median),
            reports.took(s.metrics[Metric.RESOLVE].median),
            reports.took(s.metrics[Metric.RESOLVE].p90),
        ]
        for group, s in groups.items()
    ]
    header = ["", "incidents", "ack median", "resolve median", "resolve p90"]
    return f"<h2>By {escape(title)}</h2>" + _table(header, rows)


def _figure(caption: str, svg: str) -> str:
    said = escape(caption)
    return f'<figure aria-label="{said}">{svg}<figcaption>{said}</figcaption></figure>'


def html(report: Report) -> str:
    """The whole document."""
    overall = report.overall
    rollbacks = overall.rollbacks
    figures = [
        _figure(
            f"Median response times by {report.period}",
            charts.svg(charts.response_times(report.by_period)),
        ),
        _figure(
            "Deadlines met per kind and severity",
            charts.svg(charts.deadlines(deadline_labels(overall))),
        ),
        _figure("Incidents per service", charts.svg(charts.per_service(report.by_service))),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Incident report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Incident report</h1>",
        f'<p class="note">{escape(reports.period_of(report))}; '
        f"{escape(reports.filters(report))}</p>",
        f"<p>Incidents: {escape(reports.counted(overall))}. Rollback advice taken "
        f"{rollbacks.taken}, set aside {rollbacks.set_aside}.</p>",
        figures[0],
        "<h2>Response times, from the declaration</h2>",
        _metrics(overall),
        figures[1],
        "<h2>Deadlines</h2>",
        '<p class="note">Missed: met late, never met, or replaced after falling due. Those '
        "replaced before falling due are not counted.</p>",
        _deadlines(overall),
        figures[2],
        _groups("severity", report.by_severity),
        _groups("service", report.by_service),
        _groups(str(report.period), report.by_period),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
