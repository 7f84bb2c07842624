"""The HTML report in a real browser (Debian's headless ``chromium``; skipped without it): no
console message, and each chart drawn (its colours on the screenshot)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.adapters import charts, report_html
from bot.core import insights
from tests.core.timelines import T0
from tests.support.insights import NOW, records

CHROMIUM = shutil.which("chromium")
WIDTH, HEIGHT = 1000, 2600


def page(tmp_path: Path) -> Path:
    report = insights.report(records(), insights.Scope(T0, NOW))
    target = tmp_path / "report.html"
    target.write_text(report_html.html(report), encoding="utf-8")
    return target


def chromium(target: Path, *flags: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--window-size={WIDTH},{HEIGHT}",
            *flags,
            target.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=target.parent,
    )
    return done.stderr


def pixels_of(image: Image.Image, colour: str) -> int:
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    counts = image.convert("RGB").getcolors(WIDTH * HEIGHT) or []
    return sum(
        n for n, rgb in counts if all(abs(a - b) <= 8 for a, b in zip(rgb, wanted, strict=True))
    )


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_report_opens_in_a_browser_with_its_charts_drawn(tmp_path: Path) -> None:
    target = page(tmp_path)
    shot = tmp_path / "report.png"

    log = chromium(target, f"--screenshot={shot}")

    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []
    image = Image.open(shot)
    assert image.size == (WIDTH, HEIGHT)
    for colour in (charts.COLOURS["met"], charts.COLOURS["missed"], charts.SERVICE_COLOUR):
        assert pixels_of(image, colour) > 2000, colour
    assert pixels_of(image, "#1f77b4") > 100  # the first response-time line and its points


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_browser_check_sees_console_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<script>console.error('boom')</script>", encoding="utf-8")

    log = chromium(broken, "--dump-dom")

    assert any(":CONSOLE" in line and "boom" in line for line in log.splitlines())
