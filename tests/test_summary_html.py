"""The HTML summary in a real browser: headless Chromium renders it to PNG with no
console errors, and the PNG shows the three charts in their colours (not a blank page).

The page is rendered from a summary built in memory (real aggregation, no store), so
this file checks the HTML, not the store; tests/test_summary_store.py covers the rest.
Chromium is in scripts/apt-packages.txt: missing, the test fails under CI=true and is
skipped otherwise.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import png  # type: ignore[import-untyped]
import pytest
from conftest import require_tool

from ergod import workday
from ergod.engine.rules import Rules
from ergod.exercises import DISCLAIMER
from ergod.simulation import simulate_pairs
from ergod.store import BoutRow, BreakRow
from ergod.summary.model import IsoWeek, WeekSummary, summarize
from ergod.summary.render_html import COLORS, render_html

ZONE = ZoneInfo("Europe/Berlin")


def two_weeks() -> WeekSummary:
    start = datetime(2026, 11, 9, 0, 0, tzinfo=ZONE)
    result = simulate_pairs(workday.days(14, 2), Rules())

    def at(t: float) -> datetime:
        return datetime.fromtimestamp(start.timestamp() + t, ZONE)

    bouts = [BoutRow(0, at(b.start), at(b.end), b.length) for b in result.bouts]
    breaks = [
        BreakRow(
            id=0,
            kind=r.kind,
            due=at(r.due),
            first_prompt=None if r.first_prompt is None else at(r.first_prompt),
            prompts=r.prompts,
            snoozes=r.snoozes,
            outcome=r.outcome,
            outcome_at=None if r.outcome_at is None else at(r.outcome_at),
            latency=r.latency,
            exercise=r.exercise,
        )
        for r in result.reminders
    ]
    return summarize(IsoWeek(2026, 47), bouts, breaks)


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    exe = require_tool("chromium")
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "week.html"
    path.write_text(render_html([two_weeks()]), encoding="utf-8")
    return path


def test_the_page_is_one_self_contained_file(page: Path) -> None:
    html = page.read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=""", html)
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") == 3
    assert "<title>Your week at the desk" in html
    assert "You got up for " in html
    assert DISCLAIMER in html.replace("&#x27;", "'")


def test_chromium_renders_the_charts_without_console_errors(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "week.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri(), tmp=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CONSOLE" not in done.stderr and "Uncaught" not in done.stderr
    width, height, rows, _ = png.Reader(filename=str(shot)).asRGB8()
    assert (width, height) == (1200, 1600)
    pixels: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        values = list(row)
        pixels.update(zip(values[0::3], values[1::3], values[2::3], strict=True))
    # Five work days of bars per chart, each bar thousands of pixels.
    for name, color in COLORS.items():
        assert pixels[rgb(color)] > 5_000, f"the {name} chart is missing from the rendering"
    white = pixels[(255, 255, 255)]
    assert white < 0.97 * width * height, "the page rendered (nearly) blank"


def test_chromium_reads_the_headline_in_the_dom(page: Path, tmp_path: Path) -> None:
    done = chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CONSOLE" not in done.stderr
    assert re.search(r"You got up for \d+ of \d+ movement breaks", done.stdout)
    assert done.stdout.count("<rect") >= 15
