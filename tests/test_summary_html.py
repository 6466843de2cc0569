"""The HTML summary in a real browser: headless Chromium renders it at phone and desktop
widths with no console errors and the charts in their colours (the hour-of-day chart
included), axe-core finds no accessibility violation, nothing is wider than a phone,
one week prints on one A4 page, and four weeks open with the trend chart.

The pages are rendered from summaries built in memory (real aggregation, no store), so
this file checks the HTML, not the store; tests/test_summary_store.py covers the rest.
Chromium is in scripts/apt-packages.txt: missing, the test fails under CI=true and is
skipped otherwise. axe-core comes from the `axe-core-python` test dependency (its
bundled axe.min.js), run inside a test copy of the page: the report itself has no script.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import png  # type: ignore[import-untyped]
import pytest
from servers import require_tool

from ergod.core.rules import Rules
from ergod.exercises.library import DISCLAIMER
from ergod.replay import workday
from ergod.replay.simulation import simulate_pairs
from ergod.store import BoutRow, BreakRow
from ergod.summary.model import IsoWeek, WeekSummary, summarize
from ergod.summary.render_html import COLORS, render_html

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Europe/Berlin")
# Which colours a one-week page draws (the trend needs two weeks).
WEEK_COLORS = ("sitting", "longest", "adherence", "hour_long", "hour_short")
PHONE, DESKTOP = (390, 4200), (1280, 1600)


@cache
def weeks(count: int) -> tuple[WeekSummary, ...]:
    """`count` simulated work weeks ending with 2026-W47, each with the week before."""
    first = IsoWeek(2026, 47).shifted(-count)
    start = datetime(first.monday.year, first.monday.month, first.monday.day, tzinfo=ZONE)
    result = simulate_pairs(workday.days(7 * (count + 1), 2), Rules())

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
    return tuple(summarize(first.shifted(i + 1), bouts, breaks, ZONE) for i in range(count))


def two_weeks() -> WeekSummary:
    return weeks(1)[0]


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


def no_console_errors(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CONSOLE" not in done.stderr and "Uncaught" not in done.stderr


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def screenshot(page: Path, size: tuple[int, int], tmp: Path) -> Counter[tuple[int, int, int]]:
    shot = tmp / f"shot-{size[0]}.png"
    done = chromium(
        f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", page.as_uri(), tmp=tmp
    )
    no_console_errors(done)
    width, height, rows, _ = png.Reader(filename=str(shot)).asRGB8()
    assert (width, height) == size
    pixels: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        values = list(row)
        pixels.update(zip(values[0::3], values[1::3], values[2::3], strict=True))
    assert pixels[(255, 255, 255)] < 0.97 * width * height, "the page rendered (nearly) blank"
    return pixels


def probe(page_html: str, script: str, tmp: Path) -> Any:
    """Run `script` (which must end by calling report(value)) in a test copy of the page;
    return the value it reported, read back from the DOM Chromium dumps."""
    reporter = (
        "<script>function report(v) { var p = document.createElement('pre');"
        " p.id = 'probe'; p.textContent = JSON.stringify(v); document.body.appendChild(p); }"
        f"</script><script>{script}</script>"
    )
    copy = tmp / "probe.html"
    copy.write_text(page_html.replace("</body>", reporter + "</body>"), encoding="utf-8")
    done = chromium("--virtual-time-budget=30000", "--dump-dom", copy.as_uri(), tmp=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found is not None, done.stderr[-2000:]
    return json.loads(htmllib.unescape(found[1]))


def contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        channels = [c / 255 for c in rgb(color)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "week.html"
    path.write_text(render_html([two_weeks()]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "four.html"
    path.write_text(render_html(list(weeks(4))), encoding="utf-8")
    return path


def test_the_page_is_one_self_contained_file(page: Path) -> None:
    html = page.read_text()
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=""", html)
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") == 4
    assert "<title>Your week at the desk" in html
    assert "You got up for " in html
    assert DISCLAIMER in html.replace("&#x27;", "'")
    assert "@media print" in html and "size: A4" in html


def test_every_chart_is_an_image_named_and_described(page: Path) -> None:
    html = page.read_text()
    charts = re.findall(r"<svg [^>]*>", html)
    assert len(charts) == 4
    for tag in charts:
        assert 'role="img"' in tag
        ids = re.search(r'aria-labelledby="([^"]+)"', tag)
        assert ids is not None, tag
        title_id, desc_id = ids[1].split()
        assert re.search(rf'<title id="{title_id}">[^<]+</title>', html)
        desc = re.search(rf'<desc id="{desc_id}">([^<]+)</desc>', html)
        assert desc is not None and len(desc[1]) > 20
    # The hour chart reads its hours out: "09:00 to 10:00: in bouts over 30 min 2h10, ...".
    assert re.search(r"<desc [^>]*>[^<]*09:00 to 10:00: in bouts over 30 min \d", html)


def test_colours_reach_contrast_on_white() -> None:
    for name, color in COLORS.items():
        assert contrast(color, "#ffffff") >= 3.0, name  # graphics: 3:1 (WCAG 1.4.11)
    assert len(set(COLORS.values())) == len(COLORS)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_chromium_renders_every_chart_at_phone_and_desktop_widths(
    page: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    pixels = screenshot(page, size, tmp_path)
    # Five work days of bars per day chart, and the hour chart's two parts (the short
    # bouts are a thin slice of this week: more than their legend swatch, ~200 pixels).
    for name in WEEK_COLORS:
        least = 300 if name == "hour_short" else 1_500
        assert pixels[rgb(COLORS[name])] > least, f"the {name} chart is missing from the rendering"


def in_a_phone(page_html: str, tmp: Path) -> Any:
    """The page in a 360 px frame: its `lang`, scroll width and client width."""
    frame = htmllib.escape(page_html, quote=True)
    wrapper = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>phone</title>'
        f'</head><body><iframe id="f" title="report" style="width:360px;height:700px" '
        f'srcdoc="{frame}"></iframe></body></html>'
    )
    script = (
        "document.getElementById('f').addEventListener('load', function () {"
        " var d = this.contentDocument.documentElement;"
        " report({lang: d.lang, scroll: d.scrollWidth, client: d.clientWidth}); });"
    )
    return probe(wrapper, script, tmp)


def test_nothing_is_wider_than_a_phone(page: Path, tmp_path: Path) -> None:
    got = in_a_phone(page.read_text(), tmp_path)
    assert got["client"] > 300
    assert got["scroll"] <= got["client"], got


def test_axe_finds_no_accessibility_violation(page: Path, tmp_path: Path) -> None:
    from axe_core_python.base import AXE_SCRIPT

    script = AXE_SCRIPT + (
        "\naxe.run(document).then(function (r) { report(r.violations.map(function (v) {"
        " return v.id + ': ' + v.nodes.map(function (n) { return n.html; }).join(' | '); }"
        ")); });"
    )
    assert probe(page.read_text(), script, tmp_path) == []


def test_axe_would_see_a_chart_without_a_name(page: Path, tmp_path: Path) -> None:
    from axe_core_python.base import AXE_SCRIPT

    broken = re.sub(r'<svg ([^>]*) aria-labelledby="[^"]+"', r"<svg \1", page.read_text())
    broken = re.sub(r"<title id=[^>]*>[^<]*</title>", "", broken)
    script = AXE_SCRIPT + (
        "\naxe.run(document).then(function (r) {"
        " report(r.violations.map(function (v) { return v.id; })); });"
    )
    assert "svg-img-alt" in probe(broken, script, tmp_path)


def test_one_week_prints_on_one_a4_page(page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "week.pdf"
    done = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), tmp=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) == 1
    # A4 is 595 x 842 points.
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert box is not None
    assert (round(float(box[1])), round(float(box[2]))) == (595, 842)


def test_chromium_reads_the_movement_first_headline_in_the_dom(page: Path, tmp_path: Path) -> None:
    done = chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    no_console_errors(done)
    first, second = re.findall(r'<div class="headline"><p>(.*?)</p><p>(.*?)</p>', done.stdout)[0]
    assert re.match(
        r"You got up for \d+ of \d+ movement breaks \(\d+%\)\. \d+% of your desk", first
    )
    assert "Longest time without a break:" in first
    assert second.startswith("Stretch breaks: ")
    assert "Suggestion for next week:" in done.stdout
    assert done.stdout.count("<rect") >= 15


def test_four_weeks_open_with_the_trend_chart(four: Path, tmp_path: Path) -> None:
    html = four.read_text()
    assert html.count("<svg") == 1 + 4 * 4
    assert html.index('id="trend"') < html.index('<h1 id="2026-w44"')
    trend = re.search(r'<desc id="trend-desc">([^<]+)</desc>', html)
    assert trend is not None
    summaries = weeks(4)
    assert [str(s.week) for s in summaries] == [f"2026-W{n}" for n in range(44, 48)]
    for s in summaries:
        share = round((s.totals.sitting.long_share or 0) * 100)
        assert f"{s.week}: desk time in bouts over 30 min {share}%" in trend[1]
    pixels = screenshot(four, DESKTOP, tmp_path)
    for name in ("trend_long", "trend_movement"):
        assert pixels[rgb(COLORS[name])] > 1_500, f"the {name} bars are missing"
