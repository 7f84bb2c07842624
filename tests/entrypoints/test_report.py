"""`incident-bot report` over the fixed incidents (tests/support/insights.py), in each format."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters import reports
from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.unit_of_work import units_of_work
from bot.entrypoints.cli import main
from tests.support.insights import records, store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    engine = engines.connect(url)
    try:
        migrate.upgrade(engine)
        store(units_of_work(engines.sessions(engine)), records())
    finally:
        engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    return url


def run(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(["report", "--since", "3650d", *words]) == 0
    return capsys.readouterr().out


def test_the_text_report_says_the_numbers(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys)

    assert "Incidents: 3 (Sev1 1, Sev2 1, Sev3 1)" in out
    [resolve] = [line.split() for line in out.splitlines() if line.startswith("time to resolve")]
    assert resolve[3:] == ["2", "1h20m", "1h20m", "1h40m"]
    assert "Rollback advice: taken 1, set aside 1" in out
    assert "2026-03-09" in out and "2026-03-16" in out


def test_filters_by_severity_and_service(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "Incidents: 1 (Sev2 1)" in run(capsys, "--severity", "SEV2")
    assert "Incidents: 2 (Sev1 1, Sev3 1)" in run(capsys, "--service", "checkout")
    assert "Incidents: 3 " in run(capsys, "--service", " Checkout , search")


@pytest.mark.parametrize("named", ["", " ", "checkout,", ","])
def test_a_service_without_a_name_is_a_usage_error(
    database: str, capsys: pytest.CaptureFixture[str], named: str
) -> None:
    assert main(["report", "--service", named]) == 2
    assert "--service checkout" in capsys.readouterr().err


def test_json_has_seconds(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(run(capsys, "--format", "json", "--by", "month"))

    resolve = document["overall"]["metrics"]["time to resolve"]
    assert resolve == {
        "count": 2,
        "mean_seconds": 4800,
        "median_seconds": 4800,
        "p90_seconds": 6000,
    }
    assert list(document["by_month"]) == ["2026-03"]


def test_csv_has_a_row_per_measure(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(run(capsys, "--format", "csv"))))

    missed = [
        r for r in rows if r["section"] == "overall" and r["measure"] == "deadline respond sev2"
    ]
    assert [(r["met"], r["missed"], r["pending"]) for r in missed] == [("0", "1", "0")]


def test_html_goes_to_a_file(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    run(capsys, "--format", "html", "--output", str(target))

    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    for fetched in ("<script", "<link", " src=", 'href="http'):
        assert fetched not in page


def test_a_wrong_period_is_a_usage_error(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--since", "soon"]) == 2
    assert "--since" in capsys.readouterr().err


def test_a_service_a_spreadsheet_would_run_is_written_as_text() -> None:
    from dataclasses import replace

    from bot.adapters import reports
    from bot.core import insights
    from tests.core.timelines import T0
    from tests.support.insights import NOW

    named = [
        replace(r, incident=replace(r.incident, services=('=HYPERLINK("http://x","y")',)))
        for r in records()
    ]
    rows = list(
        csv.reader(io.StringIO(reports.csv_text(insights.report(named, insights.Scope(T0, NOW)))))
    )

    groups = {row[1] for row in rows if row[0] == "by service"}
    assert groups == {'\'=hyperlink("http://x","y")'}  # services group in lower case
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_report_durations_are_rounded_up_never_down() -> None:
    assert reports.took(timedelta(seconds=90.4)) == "1m31s"
    assert reports.took(timedelta(minutes=5)) == "5m"
