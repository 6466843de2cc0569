"""Soak (issue 7): thirty simulated days through the engine and the real store.

`ergod.replay.workday.days(30, seed)` (work days with lunch, meetings and a lock, empty
weekends) is written as a trace and recorded by the installed
`ergod simulate --trace FILE --start 2026-10-05T00:00 --record` into a private
SQLite store, in Europe/Berlin, which leaves summer time inside the soak (Sunday
25 October 2026). Then, for every ISO week the trace touches, the figures of
`ergod summary --week W --format json` must equal the figures this test computes
from the simulation itself: bouts per week by their local start date, breaks by
their local due date, each outcome's count, shown, snoozes and the per-day rows.

Memory: a child process drives one engine through the thirty days the way a
long-running daemon does (events as they come, one day at a time, each day's
bouts and resolved breaks written through one StoreWriter) and reports its RSS
after every simulated day. Growth after day 3 must stay within `RSS_GROWTH_BOUND`:
a leak detector (anything kept per event or per break would grow tens of MiB
over 30 days of ~30,000 inputs each), not a performance figure.

The same functions drive benchmarks/soak.py (longer runs, RSS/USS table).
"""

from __future__ import annotations

import gc
import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from daemon_support import private_env

from ergod.config.compose import engine_rules, load
from ergod.core import BoutEnded, BreakResolved, Effect, Engine, EventKind, Outcome, Rules
from ergod.environment import Environment
from ergod.replay.simulation import SimulationResult, simulate_pairs
from ergod.replay.trace import format_trace
from ergod.replay.workday import DAY, days, workday
from ergod.summary.model import KINDS, IsoWeek
from ergod.summary.replay import local_moment, record

pytestmark = pytest.mark.e2e

ERGOD = Path(sys.executable).with_name("ergod")
ZONE = "Europe/Berlin"  # leaves summer time on Sunday 25 October 2026, inside the soak
START_TEXT = "2026-10-05T00:00"  # a Monday, as workday()'s day 0 is
DAYS = 30
SEED = 7
# Generous on purpose: SQLite's page cache (~2 MiB), the allocator's arenas and a
# day's events (~30,000 tuples, a few MiB, freed each day) move RSS by a few MiB;
# a per-event or per-break leak over 26 further days of ~30,000 inputs is far more.
RSS_GROWTH_BOUND = 8 * 1024 * 1024
BASELINE_DAY = 3
OUTCOMES = ("taken", "skipped", "ignored", "merged", "suppressed", "pending")


def start_moment(zone: str = ZONE) -> datetime:
    return datetime.fromisoformat(START_TEXT).replace(tzinfo=ZoneInfo(zone))


def soak_env(root: Path, zone: str = ZONE) -> dict[str, str]:
    """A user with no config files, an empty store, no desktop, living in `zone`."""
    return private_env(root, TZ=zone)


def default_rules(env: dict[str, str]) -> Rules:
    return engine_rules(load(Environment.from_os(env)).config)


# ---- what the summary must say, from the simulation ---------------------------


def expected_weeks(result: SimulationResult, start: datetime) -> dict[str, dict[str, Any]]:
    """Per ISO week: the figures the stored week's summary must show. A bout counts
    on the local date it started, a break on the local date it fell due; breaks
    still pending at the end of the trace are not stored."""
    weeks: dict[str, dict[str, Any]] = {}

    def week_of(t: float) -> tuple[dict[str, Any], int]:
        day = local_moment(start, t).date()
        week = IsoWeek.containing(day)
        figures = weeks.setdefault(str(week), _empty(week))
        return figures, (day - week.monday).days

    for bout in result.bouts:
        figures, index = week_of(bout.start)
        figures["lengths"].append(bout.length)
        figures["days"][index]["bouts"] += 1
    for r in result.reminders:
        if r.outcome is Outcome.PENDING:
            continue
        figures, index = week_of(r.due)
        kind = figures["breaks"][r.kind.value]
        kind["due"] += 1
        kind[r.outcome.value] += 1
        kind["snoozes"] += r.snoozes
        if r.first_prompt is not None:
            kind["shown"] += 1
            figures["days"][index]["shown"] += 1
        if r.outcome is Outcome.TAKEN:
            figures["days"][index]["taken"] += 1
    for figures in weeks.values():
        lengths = figures.pop("lengths")
        figures["sitting"] = {
            "total_s": sum(lengths),
            "bouts": len(lengths),
            "longest_bout_s": max(lengths, default=0.0),
            "bouts_over_30m": sum(1 for x in lengths if x > 1800),
            "bouts_over_60m": sum(1 for x in lengths if x > 3600),
        }
    return weeks


def _empty(week: IsoWeek) -> dict[str, Any]:
    counts = dict.fromkeys(("due", "shown", "snoozes", *OUTCOMES), 0)
    return {
        "lengths": [],
        "breaks": {kind.value: dict(counts) for kind in KINDS},
        "days": [{"bouts": 0, "shown": 0, "taken": 0} for _ in range(7)],
    }


def summary_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The same figures, read from `ergod summary --format json`."""
    sitting = summary["sitting"]
    return {
        "breaks": {
            kind: {name: figures[name] for name in ("due", "shown", "snoozes", *OUTCOMES)}
            for kind, figures in summary["breaks"].items()
        },
        "days": [{k: d[k] for k in ("bouts", "shown", "taken")} for d in summary["days"]],
        "sitting": {
            k: sitting[k]
            for k in ("total_s", "bouts", "longest_bout_s", "bouts_over_30m", "bouts_over_60m")
        },
    }


def mismatches(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs, as `path: expected X, found Y`; seconds to the millisecond
    (stored times round sub-microsecond parts; a week sums hundreds of bouts)."""
    found: list[str] = []

    def walk(path: str, want: Any, got: Any) -> None:
        if isinstance(want, dict) and isinstance(got, dict):
            for key in sorted(set(want) | set(got)):
                walk(f"{path}.{key}", want.get(key), got.get(key))
        elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
            for i, (w, g) in enumerate(zip(want, got, strict=True)):
                walk(f"{path}[{i}]", w, g)
        elif isinstance(want, float) or isinstance(got, float):
            numbers = isinstance(want, (int, float)) and isinstance(got, (int, float))
            if not numbers or abs(want - got) > 1e-3:
                found.append(f"{path}: expected {want!r}, found {got!r}")
        elif want != got:
            found.append(f"{path}: expected {want!r}, found {got!r}")

    walk("", expected, actual)
    return found


def ergod(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ERGOD), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def record_and_compare(
    root: Path, n_days: int, seed: int, zone: str = ZONE
) -> tuple[dict[str, list[str]], subprocess.CompletedProcess[str]]:
    """Record `n_days` through `ergod simulate --record` and check every week's
    summary against the simulation: week -> its mismatches (empty: consistent)."""
    env = soak_env(root, zone)
    pairs = days(n_days, seed)
    trace = root / "soak.trace"
    trace.write_text(format_trace(pairs))
    recorded = ergod(env, "simulate", "--trace", str(trace), "--start", START_TEXT, "--record")
    if recorded.returncode != 0:
        return {}, recorded
    expected = expected_weeks(simulate_pairs(pairs, default_rules(env)), start_moment(zone))
    verdicts: dict[str, list[str]] = {}
    for week, figures in sorted(expected.items()):
        shown = ergod(env, "summary", "--week", week, "--format", "json", timeout=60)
        if shown.returncode != 0 or "Traceback" in shown.stderr:
            verdicts[week] = [f"ergod summary exit {shown.returncode}: {shown.stderr.strip()}"]
            continue
        verdicts[week] = mismatches(figures, summary_figures(json.loads(shown.stdout)))
    return verdicts, recorded


# ---- the long-running engine and writer, day by day ----------------------------


@dataclass(frozen=True)
class DaySample:
    day: int
    rss: int
    uss: int | None
    bouts: int  # recorded so far
    breaks: int


def memory_run(n_days: int, seed: int, db: Path, *, uss: bool = False) -> Iterator[DaySample]:
    """One engine fed a day at a time, as the daemon is, each day's bouts, resolved
    breaks and activity written through one StoreWriter; a sample after every day."""
    import psutil

    from ergod.store.writer import OK, StoreWriter

    root = db.parent
    rules = default_rules(soak_env(root))
    start = start_moment()
    process = psutil.Process()
    engine = Engine(rules)
    writer = StoreWriter(db, logging.getLogger("soak"))
    writer.start()
    bouts = breaks = 0
    try:
        for day in range(n_days):
            pairs = workday(seed, day)
            effects: list[Effect] = []
            for t, group in groupby(pairs, key=lambda pair: pair[0]):
                effects += engine.handle(t, [kind for _, kind in group])
            effects += engine.advance((day + 1) * DAY)
            day_bouts = tuple(e.bout for e in effects if isinstance(e, BoutEnded))
            day_breaks = tuple(e.record for e in effects if isinstance(e, BreakResolved))
            inputs = [t for t, kind in pairs if kind is EventKind.INPUT]
            record(writer, SimulationResult(day_bouts, day_breaks, ()), inputs, start)
            bouts += len(day_bouts)
            breaks += len(day_breaks)
            del pairs, effects, inputs
            gc.collect()
            rss = process.memory_info().rss
            yield DaySample(
                day, rss, process.memory_full_info().uss if uss else None, bouts, breaks
            )
    finally:
        closed = writer.close(timeout=60.0)
    if not closed or writer.status != OK or writer.dropped:
        raise RuntimeError(f"store writer: {writer.status}, dropped {writer.dropped}")


def child_main(argv: Sequence[str]) -> None:
    """`python -c ... DAYS SEED DB`: print one JSON sample per simulated day."""
    n_days, seed, db = int(argv[0]), int(argv[1]), Path(argv[2])
    for sample in memory_run(n_days, seed, db):
        print(json.dumps(asdict(sample)), flush=True)


CHILD = (
    "import sys; sys.path.insert(0, {tests!r}); import test_soak; "
    "test_soak.child_main(sys.argv[1:])"
)


def run_child(n_days: int, seed: int, db: Path) -> tuple[list[DaySample], str]:
    code = CHILD.format(tests=str(Path(__file__).parent))
    done = subprocess.run(
        [sys.executable, "-c", code, str(n_days), str(seed), str(db)],
        env=soak_env(db.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [DaySample(**json.loads(line)) for line in done.stdout.splitlines()], done.stderr


# ---- tests ---------------------------------------------------------------------


# Berlin: a DST change inside the soak. Auckland (UTC+13): every work hour falls on
# the previous UTC date, so a week or day cut in UTC would move every row.
@pytest.mark.parametrize("zone", [ZONE, "Pacific/Auckland"])
def test_thirty_days_recorded_and_summarised_week_by_week(tmp_path: Path, zone: str) -> None:
    verdicts, recorded = record_and_compare(tmp_path, DAYS, SEED, zone)
    assert recorded.returncode == 0, recorded.stderr
    assert "Traceback" not in recorded.stderr
    assert recorded.stderr.startswith("ergod: recorded "), recorded.stderr
    # 2026-10-05 + 30 days: W41 to W45 (in Berlin the DST change falls inside W43).
    assert sorted(verdicts) == [f"2026-W{n}" for n in range(41, 46)]
    assert {week: found for week, found in verdicts.items() if found} == {}


def test_the_comparison_can_fail(tmp_path: Path) -> None:
    """A figure off by one, and a bout counted on the wrong day, are both reported."""
    env = soak_env(tmp_path)
    pairs = days(2, SEED)
    expected = expected_weeks(simulate_pairs(pairs, default_rules(env)), start_moment())
    week = expected["2026-W41"]
    actual = json.loads(json.dumps(week))
    actual["breaks"]["stretch"]["taken"] += 1
    actual["days"][0]["bouts"] -= 1
    actual["days"][1]["bouts"] += 1
    assert mismatches(week, actual) == [
        f".breaks.stretch.taken: expected {week['breaks']['stretch']['taken']}, "
        f"found {week['breaks']['stretch']['taken'] + 1}",
        f".days[0].bouts: expected {week['days'][0]['bouts']}, "
        f"found {week['days'][0]['bouts'] - 1}",
        f".days[1].bouts: expected {week['days'][1]['bouts']}, "
        f"found {week['days'][1]['bouts'] + 1}",
    ]


def test_memory_stays_flat_over_thirty_days(tmp_path: Path) -> None:
    db = tmp_path / "soak.db"
    samples, stderr = run_child(DAYS, SEED, db)
    assert [s.day for s in samples] == list(range(DAYS))
    assert "Traceback" not in stderr
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        stored_bouts = conn.execute("SELECT count(*) FROM bouts").fetchone()[0]
        stored_breaks = conn.execute("SELECT count(*) FROM breaks").fetchone()[0]
    # The work was done: everything the engine produced reached the file.
    assert (stored_bouts, stored_breaks) == (samples[-1].bouts, samples[-1].breaks)
    assert samples[-1].breaks > 20 * 10  # ~20 work days, many breaks each
    baseline = samples[BASELINE_DAY].rss
    growth = max(s.rss for s in samples[BASELINE_DAY:]) - baseline
    table = "\n".join(f"day {s.day}: {s.rss / 2**20:.1f} MiB" for s in samples)
    assert growth <= RSS_GROWTH_BOUND, f"RSS grew {growth / 2**20:.1f} MiB after day 3\n{table}"


def test_workday_days_is_the_days_the_memory_run_feeds() -> None:
    # memory_run() generates day by day; the recorded trace uses days(): same events.
    assert days(8, SEED) == [p for d in range(8) for p in workday(SEED, d)]
