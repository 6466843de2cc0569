"""The weekly summary end to end: two synthetic weeks recorded through the installed
`ergod simulate --record` (engine + the daemon's StoreWriter + SQLite on disk), then
`ergod summary --format json|csv|text` and `ergod simulate --from-history`, all as
real subprocesses.

The expected figures are computed here by plain code from the same simulation, not
by ergod.summary. The trace starts at 15:00 local on Monday 2026-10-19 in
Europe/Berlin, so desk days run past local midnight and the clocks go back
(Sunday 2026-10-25) between the two weeks: a bout belongs to the local day of its
start only if the offsets are right. A night session from 01:30 that Sunday sits
through the change, so `by_hour` must give the repeated 02:00 hour both of its hours:
the test splits each bout second by second on the zone's wall clock.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from summary_support import by_hour, movement_figures

from ergod.core.model import EventKind, Outcome
from ergod.core.rules import Rules
from ergod.replay import workday
from ergod.replay.simulation import SimulationResult, simulate_pairs

pytestmark = pytest.mark.e2e

ERGOD = Path(sys.executable).with_name("ergod")
ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2026, 10, 19, 15, 0, tzinfo=ZONE)
SEED = 11
NIGHT = datetime(2026, 10, 25, 1, 30, tzinfo=ZONE)  # 3 h at the desk across the change


@dataclass(frozen=True)
class Recorded:
    home: Path
    env: dict[str, str]
    result: SimulationResult


def run_ergod(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ERGOD), *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    home = tmp_path_factory.mktemp("home")
    pairs = sorted(workday.days(14, SEED) + night_session(), key=lambda pair: pair[0])
    trace = home / "two-weeks.csv"
    trace.write_text("".join(f"{t},{kind.value}\n" for t, kind in pairs))
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "ERGOD_SYSTEM_DIR": str(home / "etc"),
        "TZ": "Europe/Berlin",
    }
    done = run_ergod(
        env, "simulate", "--trace", str(trace), "--start", "2026-10-19T15:00", "--record"
    )
    assert done.returncode == 0, done.stderr
    assert "recorded" in done.stderr
    yield Recorded(home, env, simulate_pairs(pairs, Rules()))


def night_session() -> list[tuple[float, EventKind]]:
    """An input every 20 s for three hours from NIGHT (the weekend is otherwise empty)."""
    first = NIGHT.timestamp() - START.timestamp()
    return [(first + i * 20.0, EventKind.INPUT) for i in range(3 * 180 + 1)]


def local(t: float) -> datetime:
    return datetime.fromtimestamp(epoch(t), ZONE)


def epoch(t: float) -> float:
    return START.timestamp() + t


def expected_week(result: SimulationResult, monday: date) -> dict[str, Any]:
    """The contract's figures for the week from `monday`, by plain counting."""
    days = [monday + timedelta(days=i) for i in range(7)]
    bouts = [b for b in result.bouts if local(b.start).date() in days]
    lengths = [b.length for b in bouts]
    # The store holds resolved breaks only: a break still open at the end is not there.
    breaks = [
        r
        for r in result.reminders
        if local(r.due).date() in days and r.outcome is not Outcome.PENDING
    ]
    kinds = {}
    for kind in ("stretch", "movement"):
        mine = [r for r in breaks if r.kind.value == kind]
        shown = [r for r in mine if r.first_prompt is not None]
        taken = [r for r in mine if r.outcome is Outcome.TAKEN]
        kinds[kind] = {
            "due": len(mine),
            "shown": len(shown),
            "taken": len(taken),
            "skipped": sum(r.outcome is Outcome.SKIPPED for r in mine),
            "ignored": sum(r.outcome is Outcome.IGNORED for r in mine),
            "merged": sum(r.outcome is Outcome.MERGED for r in mine),
            "suppressed": sum(r.outcome is Outcome.SUPPRESSED for r in mine),
            "pending": 0,
            "snoozes": sum(r.snoozes for r in mine),
            "adherence": len(taken) / len(shown) if shown else None,
            "median_latency_s": (
                statistics.median(r.latency for r in taken if r.latency is not None)
                if taken
                else None
            ),
        }
    per_day = []
    for day in days:
        todays = [b.length for b in bouts if local(b.start).date() == day]
        due_today = [r for r in breaks if local(r.due).date() == day]
        per_day.append(
            {
                "date": day.isoformat(),
                "sitting_s": sum(todays),
                "bouts": len(todays),
                "longest_bout_s": max(todays, default=0.0),
                "shown": sum(r.first_prompt is not None for r in due_today),
                "taken": sum(r.outcome is Outcome.TAKEN for r in due_today),
            }
        )
    return {
        "sitting": {
            "total_s": sum(lengths),
            "bouts": len(lengths),
            "median_bout_s": statistics.median(lengths) if lengths else None,
            "longest_bout_s": max(lengths, default=0.0),
            "bouts_over_30m": sum(x > 30 * 60 for x in lengths),
            "bouts_over_60m": sum(x > 60 * 60 for x in lengths),
            **movement_figures([(epoch(b.start), b.length) for b in bouts], ZONE),
        },
        "breaks": kinds,
        "days": per_day,
    }


def approx(value: Any) -> Any:
    """Times went through epoch seconds in the store: equal to a millisecond."""
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-3)
    return value


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("week", "monday"), [("2026-W43", date(2026, 10, 19)), ("2026-W44", date(2026, 10, 26))]
)
def test_json_summary_equals_the_figures_counted_from_the_trace(
    recorded: Recorded, week: str, monday: date
) -> None:
    done = run_ergod(recorded.env, "summary", "--week", week, "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    want = expected_week(recorded.result, monday)
    assert got["week"] == week
    assert got["start"] == monday.isoformat()
    assert got["end"] == (monday + timedelta(days=6)).isoformat()
    assert got["sitting"] == approx(want["sitting"])
    assert got["breaks"] == approx(want["breaks"])
    assert got["days"] == approx(want["days"])
    previous = expected_week(recorded.result, monday - timedelta(days=7))
    assert got["previous"]["sitting"] == approx(previous["sitting"])
    assert got["previous"]["breaks"] == approx(previous["breaks"])
    assert got["previous"]["sitting"] == approx(previous["sitting"])
    # Something was measured at all, or the equalities above prove little.
    assert got["sitting"]["bouts"] > 10
    assert 0 < got["sitting"]["long_share"] < 1 and got["sitting"]["days_active"] >= 5

    assert got["breaks"]["movement"]["shown"] > 5


def test_the_trace_crosses_local_midnight_and_the_dst_change(recorded: Recorded) -> None:
    """Guard for the fixture: the equalities above only prove the local-day cut if some
    bouts start on a different UTC date than local date, on both sides of the change."""
    utc = ZoneInfo("UTC")
    moved = [
        local(b.start)
        for b in recorded.result.bouts
        if local(b.start).date() != local(b.start).astimezone(utc).date()
    ]
    assert {m.utcoffset() for m in moved} >= {timedelta(hours=2)}
    assert any(local(b.start).date() != local(b.end).date() for b in recorded.result.bouts)
    offsets = {local(b.start).utcoffset() for b in recorded.result.bouts}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    across = [
        b for b in recorded.result.bouts if local(b.start).utcoffset() != local(b.end).utcoffset()
    ]
    assert len(across) == 1 and across[0].length > 2.5 * 3600
    assert local(across[0].start).date() == date(2026, 10, 25)
    # It lived 02:00 to 03:00 twice: that clock hour holds two hours of it.
    night = by_hour([(epoch(across[0].start), across[0].length)], ZONE)
    assert night[1] == pytest.approx(1800) and night[2] == pytest.approx(7200)


@pytest.mark.e2e
def test_csv_rows_match_the_json_days(recorded: Recorded) -> None:
    as_json = json.loads(
        run_ergod(recorded.env, "summary", "--week", "2026-W44", "--format", "json").stdout
    )
    done = run_ergod(recorded.env, "summary", "--week", "2026-W44", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["date"] for r in rows] == [d["date"] for d in as_json["days"]]
    for row, day in zip(rows, as_json["days"], strict=True):
        assert row["week"] == "2026-W44"
        assert float(row["sitting_s"]) == pytest.approx(day["sitting_s"], abs=1e-3)
        assert int(row["bouts"]) == day["bouts"]
        assert (int(row["shown"]), int(row["taken"])) == (day["shown"], day["taken"])


@pytest.mark.e2e
def test_text_summary_fits_80_columns_without_colour_on_a_pipe(recorded: Recorded) -> None:
    from ergod.exercises.library import DISCLAIMER

    done = run_ergod(recorded.env, "summary", "--week", "2026-W44")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\033[" not in done.stdout
    assert "█" in done.stdout  # the per-day bars
    assert DISCLAIMER.split(";")[0] in done.stdout.replace("\n", " ")
    assert any(line.startswith("Mon, Oct 26") for line in lines)  # the locale's date form


@pytest.mark.e2e
def test_html_goes_to_the_output_file(recorded: Recorded) -> None:
    out = recorded.home / "week.html"
    done = run_ergod(
        recorded.env, "summary", "--week", "2026-W44", "--format", "html", "--output", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4


def test_headline_for_reads_the_week_of_today(recorded: Recorded, tmp_path: Path) -> None:
    from ergod.summary.query import headline_for

    store = recorded.home / "state" / "ergod" / "ergod.db"
    got = headline_for(store, date(2026, 10, 30))
    assert got is not None
    title, body = got
    week = expected_week(recorded.result, date(2026, 10, 26))
    movement = week["breaks"]["movement"]
    assert title == "Your week 2026-W44"
    assert body.startswith(f"You got up for {movement['taken']} of {movement['shown']} movement")
    movement_line, stretch_line, suggestion = body.split("\n")
    assert "Longest time without a break: " in movement_line
    assert stretch_line.startswith("Stretch breaks: ")
    # The notification ends with the week's suggestion, as `ergod summary` gives it.
    shown = run_ergod(recorded.env, "summary", "--week", "2026-W44", "--format", "json")
    assert suggestion == json.loads(shown.stdout)["suggestion"]["text"]
    assert headline_for(tmp_path / "none.db", date(2026, 10, 30)) is None


@pytest.mark.e2e
def test_last_n_gives_an_array_of_weeks_oldest_first(recorded: Recorded) -> None:
    done = run_ergod(recorded.env, "summary", "--last", "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    weeks = json.loads(done.stdout)
    assert isinstance(weeks, list) and len(weeks) == 3
    assert [w["start"] for w in weeks] == sorted(w["start"] for w in weeks)


@pytest.mark.e2e
def test_from_history_replays_a_week_under_another_config(recorded: Recorded) -> None:
    slower = recorded.home / "slower.toml"
    slower.write_text('[breaks.stretch]\nevery = "40m"\n')
    same = run_ergod(recorded.env, "simulate", "--from-history", "--week", "2026-W44", "--json")
    assert same.returncode == 0, same.stderr
    unchanged = json.loads(same.stdout)
    assert unchanged["changes"] == []
    assert unchanged["candidate"] == unchanged["current"]
    assert unchanged["inputs"] > 0
    done = run_ergod(
        recorded.env,
        "simulate",
        "--from-history",
        "--week",
        "2026-W44",
        "--config",
        str(slower),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["changes"] == ["breaks.stretch.every = 40m"]
    assert report["current"] == unchanged["current"]
    assert report["candidate"]["stretch"]["due"] < report["current"]["stretch"]["due"]
    text = run_ergod(
        recorded.env, "simulate", "--from-history", "--week", "2026-W44", "--config", str(slower)
    )
    assert (
        f"with breaks.stretch.every = 40m: {report['candidate']['prompts']} prompts "
        f"instead of {report['current']['prompts']}"
    ) in text.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "--week", "2026-W99"], "bad week '2026-W99'"),
        (["summary", "--week", "2026-47"], "bad week"),
        (["summary", "--format", "xml"], "unknown format 'xml'"),
        (["summary", "--last", "0"], "bad --last"),
        (["simulate", "--trace", "x.csv", "--record"], "--record needs --start"),
        (["simulate", "--from-history", "--week", "2026-W00"], "bad week"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    recorded: Recorded, argv: list[str], message: str
) -> None:
    done = run_ergod(recorded.env, *argv)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_no_store_yet_is_a_plain_error(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["ERGOD_SYSTEM_DIR"] = str(tmp_path / "etc")
    done = run_ergod(env, "summary")
    assert done.returncode == 1
    assert "no adherence data yet" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_trace_really_has_input() -> None:
    """Guard for the fixture: the generator's two weeks have inputs on ten days."""
    pairs = workday.days(14, SEED)
    days = {int(t // 86400) for t, kind in pairs if kind is EventKind.INPUT}
    assert len(days) == 10
