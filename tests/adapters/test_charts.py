"""The report's charts: many services drawn as the most of them, each a bar of its own."""

from __future__ import annotations

from dataclasses import replace

from bot.adapters import charts
from bot.core import insights
from tests.core.timelines import T0
from tests.support.insights import NOW, incident_a


def test_many_services_draw_the_most_each_a_bar_even_when_their_names_are_cut_alike() -> None:
    a = incident_a()
    long = "payments-gateway-eu-west-1-primary-"
    named = [
        replace(a, id=n, incident=replace(a.incident, services=(f"{long}{n % 20}",)))
        for n in range(40)
    ]
    report = insights.report(named, insights.Scope(T0, NOW))

    axes = charts.per_service(report.by_service).axes[0]

    assert len(axes.patches) == charts.SERVICES_DRAWN
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert len(labels) == charts.SERVICES_DRAWN
    assert all(len(label) <= charts.NAME_DRAWN for label in labels)
    assert axes.get_title() == f"Incidents per service (the {charts.SERVICES_DRAWN} most)"
