"""The insights drawn with matplotlib: SVG for the HTML report, PNG for the weekly digest.

Figures are built with matplotlib's object API (``Figure``, never ``pyplot``): no global
state, no display, safe in a server's threads. Imported only by what draws.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.insights import Metric, Summary, Tally

WIDTH, HEIGHT, DPI = 8.0, 3.6, 100
"""Inches, and dots per inch for a PNG: 800 x 360 pixels."""
PLOTTED = (Metric.ACKNOWLEDGE, Metric.ASSEMBLE, Metric.FIRST_UPDATE, Metric.RESOLVE)
COLOURS = {"met": "#2e7d32", "missed": "#c62828", "pending": "#9e9e9e"}
SERVICE_COLOUR = "#1565c0"
SERVICES_DRAWN = 15
NAME_DRAWN = 30
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)


def _figure() -> Figure:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    return figure


def response_times(by_period: Mapping[str, Summary]) -> Figure:
    """The median of each response time, in minutes, per period (a line per metric; a period
    where none reached a metric's stop has no point)."""
    figure = _figure()
    axes = figure.add_subplot()
    periods = list(by_period)
    for metric in PLOTTED:
        medians = [by_period[p].metrics[metric].median for p in periods]
        points = [(p, m.total_seconds() / 60) for p, m in zip(periods, medians, strict=True) if m]
        if points:
            axes.plot([p for p, _ in points], [m for _, m in points], marker="o", label=str(metric))
    axes.set_title("Median response times by period")
    axes.set_ylabel("minutes from declaration")
    axes.grid(axis="y", alpha=0.3)
    if axes.lines:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        axes.text(0.5, 0.5, "no incident reached these yet", ha="center", transform=axes.transAxes)
        _nothing_drawn(axes)
    axes.tick_params(axis="x", labelrotation=30, labelsize="small")
    return figure


def deadlines(tallies: Mapping[str, Tally]) -> Figure:
    """Deadlines met, missed and pending per kind and severity (``tallies``' labels), as
    stacked horizontal bars."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = list(tallies)
    left = [0] * len(labels)
    for status in ("met", "missed", "pending"):
        counts = [getattr(tallies[label], status) for label in labels]
        axes.barh(labels, counts, left=left, color=COLOURS[status], label=status)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_title("Deadlines met on time, per kind and severity")
    axes.set_xlabel("deadlines")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.invert_yaxis()
    if labels:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        axes.text(0.5, 0.5, "no deadline yet", ha="center", transform=axes.transAxes)
        _nothing_drawn(axes)
    axes.tick_params(axis="y", labelsize="small")
    return figure


def per_service(by_service: Mapping[str, Summary]) -> Figure:
    """How many incidents named each service, most first: the ``SERVICES_DRAWN`` most (the
    tables list them all), names cut to ``NAME_DRAWN`` characters."""
    figure = _figure()
    axes = figure.add_subplot()
    ranked = sorted(by_service.items(), key=lambda item: (-item[1].incidents, item[0]))
    shown = ranked[:SERVICES_DRAWN]
    names = [_label(name) for name, _ in shown]
    places = range(len(shown))  # by place, not by name: two names cut alike stay two bars
    axes.barh(places, [s.incidents for _, s in shown], color=SERVICE_COLOUR)
    axes.set_yticks(places, labels=names)
    more = len(ranked) - len(shown)
    axes.set_title(
        f"Incidents per service (the {len(shown)} most)" if more else "Incidents per service"
    )
    axes.set_xlabel("incidents")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.invert_yaxis()
    if not ranked:
        axes.text(0.5, 0.5, "no incident", ha="center", transform=axes.transAxes)
        _nothing_drawn(axes)
    return figure


def _label(name: str) -> str:
    """A name as drawn: cut to ``NAME_DRAWN`` characters, its ``$`` shown as themselves
    (matplotlib reads text between two as mathematics, and fails on some)."""
    cut = name if len(name) <= NAME_DRAWN else name[: NAME_DRAWN - 1] + "…"
    return cut.replace("$", r"\$")


def _nothing_drawn(axes: Axes) -> None:
    """Axes with nothing on them: no made-up scale (matplotlib's default runs from -0.05)."""
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xticks([])
    axes.set_yticks([])


def svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element to inline in HTML (its text drawn as paths, so it
    needs no font)."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _PROLOGUE.sub("", out.getvalue()), count=1)


def png(figure: Figure) -> bytes:
    """The figure as a PNG of ``WIDTH`` x ``HEIGHT`` inches at ``DPI``."""
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
