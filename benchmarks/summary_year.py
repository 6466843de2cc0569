"""How fast `ergod summary` answers over a year of data, against bare SQLite reads.

    python benchmarks/summary_year.py [--weeks 52] [--repeat 5] [--keep DIR]

Fills a store with a year of simulated desk time through the daemon's StoreWriter
(`ergod.summary.replay.record`): a few simulated fortnights (ergod.replay.workday + the
engine) recorded back to back in Europe/Berlin, each twice a day (a day shift from
00:00 and a late shift from 12:00) so the year holds about 200,000 rows across
bouts, breaks and activity spans. Then times, in one run:

* baseline: `SELECT count(*)` over every table (what any read of the file costs);
* `load_week` + the JSON contract, in process, for one week in the middle;
* the whole `ergod summary --week W --format json` as a subprocess, against
  `python -c pass` (the interpreter's start-up, which no command can avoid).

Prints the seconds and the ratios. Absolute times drift on a shared machine; the
ratios are the figures to compare. The issue's target: the subprocess under 1 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulate_day import best_of  # the same timing loop as the engine benchmark

from ergod.core.model import EventKind
from ergod.core.rules import Rules
from ergod.replay.simulation import simulate_pairs
from ergod.replay.workday import days
from ergod.store import TABLES, open_reader
from ergod.store.writer import StoreWriter
from ergod.summary.contract import to_json
from ergod.summary.model import IsoWeek
from ergod.summary.query import load_week
from ergod.summary.replay import record

ZONE = ZoneInfo("Europe/Berlin")
FIRST = datetime(2026, 1, 5, tzinfo=ZONE)  # a Monday, ISO week 2026-W02
SEEDS = 4


def fill(path: Path, weeks: int) -> int:
    fortnights = []
    for seed in range(SEEDS):
        pairs = days(14, seed)
        inputs = [t for t, kind in pairs if kind is EventKind.INPUT]
        fortnights.append((simulate_pairs(pairs, Rules()), inputs))
    writer = StoreWriter(path, logging.getLogger("bench"), batch_interval=0.5)
    writer.start()
    for block in range(weeks // 2):
        result, inputs = fortnights[block % SEEDS]
        monday = FIRST + timedelta(weeks=2 * block)  # wall time: local midnight
        for shift in (0, 12):
            record(writer, result, inputs, monday + timedelta(hours=shift))
    if not writer.close(timeout=600) or writer.status != "ok" or writer.dropped:
        raise SystemExit(f"filling the store failed: {writer.status}")
    with sqlite3.connect(path) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="fill and keep the store in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp)
        path = home / "state" / "ergod" / "ergod.db"
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        rows = fill(path, args.weeks)
        filled = time.perf_counter() - started
        week = IsoWeek.containing((FIRST + timedelta(weeks=args.weeks // 2)).date())

        def count_all() -> None:
            with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
                for t in TABLES:
                    conn.execute(f"SELECT count(*) FROM {t}").fetchone()

        def summary_in_process() -> None:
            with open_reader(path) as reader:
                to_json(load_week(reader, week))

        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "ERGOD_SYSTEM_DIR": str(home / "etc"),
            "TZ": "Europe/Berlin",
        }
        ergod = Path(sys.executable).with_name("ergod")
        argv = [str(ergod), "summary", "--week", str(week), "--format", "json"]

        def summary_command() -> None:
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)

        def python_start() -> None:
            subprocess.run([sys.executable, "-c", "pass"], check=True)

        baseline = best_of(args.repeat, count_all)
        inproc = best_of(args.repeat, summary_in_process)
        startup = best_of(args.repeat, python_start)
        command = best_of(args.repeat, summary_command)
    print(f"store: {rows:,} rows over {args.weeks} weeks (filled in {filled:.1f} s); week {week}")
    print(f"{'what':<44} {'seconds':>9} {'ratio':>8}")
    print(f"{'count(*) of every table (baseline)':<44} {baseline:>9.4f} {1:>8.1f}")
    print(f"{'load_week + JSON, in process':<44} {inproc:>9.4f} {inproc / baseline:>8.1f}")
    print(f"{'python -c pass (start-up baseline)':<44} {startup:>9.4f} {1:>8.1f}")
    label = "ergod summary --format json (subprocess)"
    print(f"{label:<44} {command:>9.4f} {command / startup:>8.1f}")
    print(f"target: the command under 1 s: {'yes' if command < 1.0 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
