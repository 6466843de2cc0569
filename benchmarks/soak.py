"""A longer soak than tests/test_soak.py, to run by hand.

    python benchmarks/soak.py [--days 90] [--seed 7] [--zone Europe/Berlin]

Two parts, as in the test, with the test's functions:
* memory: this process drives one engine through `--days` generated days
  (ergod.replay.workday), a day at a time, writing each day's bouts, resolved breaks and
  activity through one StoreWriter into a fresh SQLite file; prints RSS and USS
  after every simulated day and the growth since day 3;
* consistency: the same days as one trace through the installed
  `ergod simulate --record`, then `ergod summary --week W --format json` for each
  week, compared with figures computed from the simulation; prints one verdict a
  week and exits 1 if any week differs or the run failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_soak import BASELINE_DAY, RSS_GROWTH_BOUND, ZONE, memory_run, record_and_compare

MIB = 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zone", default=ZONE, help="the user's time zone (default %(default)s)")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"memory: {args.days} days, seed {args.seed}")
        print(f"{'day':>5} {'RSS MiB':>9} {'USS MiB':>9} {'bouts':>7} {'breaks':>7}")
        rss: list[int] = []
        began = time.perf_counter()
        for sample in memory_run(args.days, args.seed, root / "memory.db", uss=True):
            rss.append(sample.rss)
            uss = (sample.uss or 0) / MIB
            print(
                f"{sample.day:>5} {sample.rss / MIB:>9.1f} {uss:>9.1f} "
                f"{sample.bouts:>7} {sample.breaks:>7}",
                flush=True,
            )
        if len(rss) > BASELINE_DAY:
            growth = max(rss[BASELINE_DAY:]) - rss[BASELINE_DAY]
            flat = growth <= RSS_GROWTH_BOUND
            ok &= flat
            print(
                f"RSS growth after day {BASELINE_DAY}: {growth / MIB:.1f} MiB "
                f"(bound {RSS_GROWTH_BOUND / MIB:.0f} MiB): {'flat' if flat else 'GROWING'}"
            )
        print(f"({time.perf_counter() - began:.1f} s)\n")

        print(f"consistency: ergod simulate --record, then ergod summary per week ({args.zone})")
        (root / "store").mkdir()
        verdicts, recorded = record_and_compare(root / "store", args.days, args.seed, args.zone)
        if recorded.returncode != 0:
            print(f"ergod simulate --record failed ({recorded.returncode}):\n{recorded.stderr}")
            return 1
        print(recorded.stderr.strip())
        for week, found in verdicts.items():
            print(f"{week}: {'consistent' if not found else 'DIFFERS'}")
            for line in found:
                print(f"    {line}")
            ok &= not found
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
