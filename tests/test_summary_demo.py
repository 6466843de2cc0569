"""`ergod demo`, the README's first report: the installed command fills a private store
with four generated weeks in Europe/Berlin, up to 2026-W14, so summer time starts
(Sunday 29 March 2026) between the last two weeks.

Checked against plain code, not ergod.summary: every day's first input is stored at
the generated wall-clock time of that day, on both sides of the DST change (the old
README demo started a trace counted from midnight at 08:00); the days differ, the
newest week has a day off and a long call; for W13 and W14 the JSON's new sitting
figures equal those computed here from the engine's bouts, the trace placed on the
wall clock with aware datetime arithmetic (not ergod's own placement). Then
`ergod summary --last 4` in JSON, text and HTML over a demo of the current weeks.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from summary_support import movement_figures
from test_soak import default_rules, ergod, mismatches, soak_env

from ergod.replay.demo import demo_days
from ergod.replay.simulation import SimulationResult, simulate_pairs
from ergod.summary.model import IsoWeek

ZONE = ZoneInfo("Europe/Berlin")
LAST = IsoWeek(2026, 14)  # Monday 30 March 2026, the first week of summer time
FIRST_MONDAY = date(2026, 3, 9)  # 2026-W11
pytestmark = pytest.mark.e2e


def wall(day: date, seconds: float) -> float:
    """Epoch seconds of `seconds` after midnight on the wall clock of `day` (aware
    datetime + timedelta is wall-clock arithmetic)."""
    return (
        datetime(day.year, day.month, day.day, tzinfo=ZONE) + timedelta(seconds=seconds)
    ).timestamp()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    root = tmp_path_factory.mktemp("demo")
    env = soak_env(root)
    done = ergod(env, "demo", "--week", str(LAST))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2026-W11 to 2026-W14" in done.stderr and "ergod summary --week 2026-W14" in done.stderr
    return env, Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db"


@pytest.fixture(scope="module")
def simulated(demo: tuple[dict[str, str], Path]) -> tuple[SimulationResult, float]:
    """The engine's result for the same days, placed on the wall clock here."""
    start = datetime(2026, 3, 9, tzinfo=ZONE).timestamp()
    pairs = [
        (wall(FIRST_MONDAY + timedelta(days=i), t) - start, kind)
        for i, day in enumerate(demo_days(4, 1))
        for t, kind in day
    ]
    return simulate_pairs(pairs, default_rules(demo[0])), start


def test_every_day_starts_at_its_generated_wall_clock_time(
    demo: tuple[dict[str, str], Path],
) -> None:
    days = demo_days(4, 1)
    with sqlite3.connect(f"file:{demo[1]}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT start_utc, start_offset FROM activity").fetchall()
    first: dict[date, int] = {}
    for utc, offset in rows:
        local = datetime.fromtimestamp(utc + offset, ZoneInfo("UTC")).replace(tzinfo=None)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        first[local.date()] = min(first.get(local.date(), 86400), seconds)
    expected = {
        FIRST_MONDAY + timedelta(days=i): int(day[0][0]) for i, day in enumerate(days) if day
    }
    assert first == expected
    # Both sides of the change: 08:xx in winter time and in summer time.
    offsets = {offset for _, offset in rows}
    assert offsets == {3600, 7200}
    assert all(7 * 3600 <= s <= 10 * 3600 for s in first.values())


def test_the_days_are_varied_and_plausible(demo: tuple[dict[str, str], Path]) -> None:
    env, _ = demo
    newest = json.loads(ergod(env, "summary", "--week", str(LAST), "--format", "json").stdout)
    weekdays = newest["days"][:5]
    assert sum(1 for d in weekdays if d["bouts"] == 0) == 1  # a day off
    assert newest["sitting"]["longest_bout_s"] > 90 * 60  # the long call
    assert newest["suggestion"] is not None
    totals = [d["sitting_s"] for d in weekdays if d["bouts"]]
    assert len(set(totals)) == len(totals) == 4
    assert all(3 * 3600 < s < 10 * 3600 for s in totals)
    arrivals = {int(day[0][0]) // 60 for day in demo_days(4, 1) if day}
    assert len(arrivals) > 10  # not one day copied
    assert 15 <= len([d for d in demo_days(4, 1) if d]) <= 22  # days off, a Saturday or two


@pytest.mark.parametrize("week", ["2026-W13", "2026-W14"])
def test_new_figures_equal_the_figures_counted_from_the_bouts(
    demo: tuple[dict[str, str], Path],
    simulated: tuple[SimulationResult, float],
    week: str,
) -> None:
    result, start = simulated
    by_week: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for bout in result.bouts:
        begins = start + bout.start
        local_day = datetime.fromtimestamp(begins, ZONE).date()
        by_week[str(IsoWeek.containing(local_day))].append((begins, bout.length))
    got = json.loads(ergod(demo[0], "summary", "--week", week, "--format", "json").stdout)
    previous = str(IsoWeek.parse(week).shifted(-1))
    sitting = {k: got["sitting"][k] for k in movement_figures([], ZONE)}
    before = {k: got["previous"]["sitting"][k] for k in movement_figures([], ZONE)}
    assert mismatches(movement_figures(by_week[week], ZONE), sitting) == []
    assert mismatches(movement_figures(by_week[previous], ZONE), before) == []
    assert got["sitting"]["bouts"] == len(by_week[week]) > 20
    assert sum(got["sitting"]["by_hour"]) == pytest.approx(got["sitting"]["total_s"], abs=1e-3)


def test_the_demo_refuses_a_store_with_history(demo: tuple[dict[str, str], Path]) -> None:
    done = ergod(demo[0], "demo")
    assert done.returncode == 1
    assert "already holds history (2026-03-" in done.stderr
    assert "ergod data forget --all" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("argv", [["--weeks", "0"], ["--weeks", "x"], ["--week", "2026-W99"]])
def test_bad_demo_arguments_exit_2(tmp_path: Path, argv: list[str]) -> None:
    done = ergod(soak_env(tmp_path), "demo", *argv)
    assert done.returncode == 2
    assert "bad" in done.stderr and "Traceback" not in done.stderr


def test_last_4_in_json_text_and_html(tmp_path: Path) -> None:
    env = soak_env(tmp_path)
    done = ergod(env, "demo")  # the four weeks up to this one: what --last 4 shows
    assert done.returncode == 0, done.stderr
    weeks = json.loads(ergod(env, "summary", "--last", "4", "--format", "json").stdout)
    current = IsoWeek.containing(date.today())
    assert [w["week"] for w in weeks] == [str(current.shifted(i)) for i in range(-3, 1)]
    shares = [w["sitting"]["long_share"] for w in weeks]
    movement = [w["breaks"]["movement"]["adherence"] for w in weeks]
    assert all(isinstance(x, float) for x in shares + movement)
    # The person gets better at getting up: less time in long bouts at the end.
    assert shares[-1] < shares[0]

    text = ergod(env, "summary", "--last", "4").stdout.splitlines()
    assert (
        text[-3] == f"Trend over 4 weeks, {weeks[0]['week']} to {weeks[-1]['week']}, oldest first:"
    )
    cells = "▁▂▃▄▅▆▇█"
    for line, values in ((text[-2], shares), (text[-1], movement)):
        spark = line.split()[-4]
        assert spark == "".join(cells[min(int(v * 8), 7)] for v in values)
        assert line.endswith(f"{round(values[0] * 100)}% -> {round(values[-1] * 100)}%")
    assert max(len(line) for line in text) <= 80

    out = tmp_path / "weeks.html"
    assert (
        ergod(env, "summary", "--last", "4", "--format", "html", "--output", str(out)).returncode
        == 0
    )
    html = out.read_text()
    assert html.count("<svg") == 1 + 4 * 4
    desc = html[html.index('<desc id="trend-desc">') :].split("</desc>")[0]
    for w, share in zip(weeks, shares, strict=True):
        assert f"{w['week']}: desk time in bouts over 30 min {round(share * 100)}%" in desc


def test_the_readme_records_the_example_day_as_a_morning(tmp_path: Path) -> None:
    """The README's `--record` line: the example trace counts from midnight, so its
    day must land on Monday from the morning on, not run into the night."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    found = re.search(
        r"--trace\s+(config/examples/workday\.csv)\s+--start\s+(\S+)\s+--record", readme
    )
    assert found is not None
    trace, start = Path(__file__).parent.parent / found[1], found[2]
    env = soak_env(tmp_path)
    done = ergod(env, "simulate", "--trace", str(trace), "--start", start, "--record")
    assert done.returncode == 0, done.stderr
    week = IsoWeek.containing(date.fromisoformat(start[:10]))
    got = json.loads(ergod(env, "summary", "--week", str(week), "--format", "json").stdout)
    assert [d["bouts"] > 0 for d in got["days"]] == [True] + [False] * 6
    hours = [h for h, s in enumerate(got["sitting"]["by_hour"]) if s > 0]
    assert 7 <= hours[0] <= 9 and hours[-1] <= 19


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demo_days_keep_to_the_daytime_and_are_deterministic(seed: int) -> None:
    days = demo_days(3, seed)
    assert days == demo_days(3, seed)
    assert len(days) == 21 and days[6] == days[13] == days[20] == []  # Sundays
    for day in days:
        times = [t for t, _ in day]
        assert times == sorted(times)
        assert all(7 * 3600 <= t <= 20 * 3600 for t in times)
    newest = days[14:19]
    assert sum(1 for d in newest if not d) == 1  # the newest week has a day off
