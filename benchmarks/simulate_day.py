"""How fast the engine replays a desk day, against reading the same trace.

    python benchmarks/simulate_day.py [--days 5] [--repeat 3]

Generates work days (ergod.replay.workday, ~30,000 inputs each), writes them as a
trace file, then times in one run: parsing the trace (the baseline), the
engine fed every event (`ergod simulate`), and the idle-first path the daemon
uses. Prints seconds per simulated day, events per second and each path's
ratio to the baseline. Absolute times drift on a shared machine; the ratios
are the figures to compare.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engine_support import run_idle_first

from ergod.core import Rules
from ergod.replay.simulation import simulate
from ergod.replay.trace import format_trace, read_trace
from ergod.replay.workday import workday


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pairs = [p for day in range(args.days) for p in workday(seed=1, day=day)]
    events = len(pairs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "days.csv"
        path.write_text(format_trace(pairs))
        parse = best_of(args.repeat, lambda: read_trace(path))
        trace = read_trace(path)
        full = best_of(args.repeat, lambda: simulate(trace, Rules()))
        lean = best_of(args.repeat, lambda: run_idle_first(pairs, Rules()))
    calls = run_idle_first(pairs, Rules())
    workdays = sum(1 for d in range(args.days) if d % 7 < 5)
    rows = [
        ("parse trace (baseline)", parse),
        ("engine, every event", full),
        ("idle-first replay (world simulated too)", lean),
    ]
    print(f"{events} events over {args.days} days ({workdays} work days), best of {args.repeat}")
    print(f"{'path':36} {'s/day':>8} {'events/s':>12} {'x baseline':>10}")
    for name, seconds in rows:
        per_day = seconds / max(1, workdays)
        print(f"{name:36} {per_day:8.3f} {events / seconds:12,.0f} {seconds / parse:10.2f}")
    inputs = sum(1 for _, kind in pairs if kind.value == "input")
    print(
        f"idle-first engine calls: {calls.ticks} idle questions + {calls.watches} returns "
        f"for {inputs} inputs ({(calls.ticks + calls.watches) / inputs:.2%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
