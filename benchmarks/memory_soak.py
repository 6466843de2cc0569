"""How much memory ergod holds: the daemon after start and under input, a week, a 24 h soak.

    python benchmarks/memory_soak.py [--flood-seconds 60] [--days 7] [--results FILE]

RSS and USS (psutil memory_full_info) in three settings, each in its own process:

* daemon: the installed `ergod run` on Xvfb + a private D-Bus session + dunst,
  right after READY=1 and after `--flood-seconds` of a 1,000 moves/s xdotool flood;
* week: a fresh process runs the engine (idle-first, the way the daemon sees the
  world: ergod.core.presence.Presence) over `--days` simulated days of
  ergod.replay.workday events and writes what the daemon would write (bouts, break
  records, activity spans) through the real StoreWriter into a SQLite file;
  sampled once the store is open (before any event) and at every simulated hour;
* soak: the same loop over 24 simulated hours of workday events (a heavy day:
  `--soak-rate` times the usual input rate), sampled the same way.

For week and soak it reports min, max, final and the spread (max - min) from the
first sample. Their absolute RSS is not the daemon's: that process also holds
psutil and the whole generated trace (built before the first sample, so it
does not move the spread). Targets (issue 7): the daemon's RSS under 35 MiB
(Workrave measured 96 MiB here); flat within 2 MiB.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from input_cost import Flood
from startup import daemon_on_display, record

MIB = 2**20
RSS_TARGET = 35.0  # MiB
FLAT_TARGET = 2.0  # MiB
HOUR = 3600.0
ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 5, tzinfo=ZONE)  # a Monday at local midnight


def memory(proc: psutil.Process) -> tuple[float, float]:
    """(RSS, USS) in MiB."""
    info = proc.memory_full_info()
    return info.rss / MIB, info.uss / MIB


def replay(
    pairs: Sequence[tuple[float, object]],
    store: Path,
    on_hour: Callable[[float], None],
) -> tuple[int, int]:
    """Drive engine + store over `pairs` the way the daemon does; call `on_hour` at each
    simulated hour boundary. Returns (records written, records dropped)."""
    from ergod.core import BoutEnded, BreakResolved, Engine, EventKind, Rules
    from ergod.core.presence import Presence
    from ergod.store.writer import StoreWriter
    from ergod.summary.replay import local_moment

    def wall(t: float) -> datetime:
        return local_moment(START, t)

    writer = StoreWriter(store, logging.getLogger("bench"), batch_interval=0.5)
    writer.start()
    on_hour(0.0)  # "after start": the store open, its writer thread running
    engine = Engine(Rules())
    presence = Presence(engine)
    world_last = -math.inf
    span_start: float | None = None
    next_hour = HOUR

    def idle(t: float) -> float:
        return t - world_last if world_last > -math.inf else 1e9

    def apply(effects: Sequence[object]) -> None:
        nonlocal span_start
        for effect in effects:
            if isinstance(effect, BoutEnded):
                writer.bout(wall(effect.bout.start), wall(effect.bout.end))
            elif isinstance(effect, BreakResolved):
                writer.break_record(effect.record, wall)
        if presence.wants_watch and span_start is not None and engine.last_input is not None:
            # An absence reached the threshold: the span of activity before it ends.
            writer.activity(wall(span_start), wall(engine.last_input))
            span_start = None

    i = 0
    end = pairs[-1][0] if pairs else 0.0
    while i < len(pairs):
        t, kind = pairs[i]
        wake = presence.wakeup_at()
        moment = min(t, wake) if wake is not None else t
        while next_hour <= moment:
            writer.flush(timeout=60.0)
            on_hour(next_hour)
            next_hour += HOUR
        if wake is not None and wake < t:
            apply(presence.tick(wake, idle(wake)))
        elif kind is EventKind.INPUT:
            world_last = t
            if presence.wants_watch:
                apply(presence.returned(t))
            if span_start is None:
                span_start = t
            i += 1
        else:
            apply(presence.event(t, kind, idle(t)))  # type: ignore[arg-type]
            i += 1
    apply(presence.tick(end, idle(end)))
    writer.close(timeout=120.0)
    return writer.written, writer.dropped


def worker(kind: str, days: int, rate: float) -> None:
    """Run one in-process measurement and print its samples as JSON."""
    from ergod.replay.workday import days as workdays
    from ergod.replay.workday import workday

    # The whole trace is generated before the first sample: its list is constant.
    pairs = workdays(days, seed=3) if kind == "week" else workday(seed=3, day=0, rate=rate)
    proc = psutil.Process()
    samples: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp:
        store = Path(tmp) / "ergod.db"

        def sample(at: float) -> None:
            samples.append((at / HOUR, *memory(proc)))

        started = time.perf_counter()
        written, dropped = replay(pairs, store, sample)
        seconds = time.perf_counter() - started
        final = memory(proc)
    start = samples[0][1:]
    while len(samples) <= 24 * days:  # hours after the last event: nothing left to change
        samples.append((len(samples) + 1.0, *final))
    print(
        json.dumps(
            {
                "events": len(pairs),
                "written": written,
                "dropped": dropped,
                "seconds": seconds,
                "start": start,
                "final": final,
                "samples": samples,
                "first_hour": pairs[0][0] / HOUR if pairs else 0.0,
            }
        )
    )


def in_process(kind: str, days: int, rate: float) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--days", str(days), "--soak-rate", str(rate)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {kind} worker failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def spreads(run: dict[str, object]) -> tuple[tuple[float, float], tuple[float, float]]:
    """(RSS, USS) max - min over all samples (the first taken once the store is open), and
    over those after the first hour of input."""
    samples = run["samples"]
    first = run["first_hour"]
    assert isinstance(samples, list) and isinstance(first, float)
    warm = [s for s in samples if s[0] >= first + 1.0] or samples

    def spread(series: list[list[float]], i: int) -> float:
        return max(s[i] for s in series) - min(s[i] for s in series)

    return (spread(samples, 1), spread(samples, 2)), (spread(warm, 1), spread(warm, 2))


def daemon(flood_seconds: float) -> tuple[tuple[float, float], tuple[float, float], float]:
    """The running daemon's (RSS, USS) after READY=1 and after the flood; achieved rate."""
    with (
        tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp,
        daemon_on_display(Path(tmp)) as (display, _bus, proc),
    ):
        ps = psutil.Process(proc.pid)
        time.sleep(1.0)  # READY=1 comes before the first idle query settles
        after_start = memory(ps)
        env = dict(os.environ, DISPLAY=display)
        flood = Flood(env, 1000)
        try:
            time.sleep(flood_seconds)
        finally:
            flood.close()
        after_flood = memory(ps)
        return after_start, after_flood, flood.sent / flood_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood-seconds", type=float, default=60.0)
    parser.add_argument("--days", type=int, default=7, help="simulated days of the week run")
    parser.add_argument("--soak-rate", type=float, default=4.0, help="input rate x usual (soak)")
    parser.add_argument("--worker", choices=("week", "soak"), help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.days, args.soak_rate)
        return 0
    d_start, d_flood, rate = daemon(args.flood_seconds)
    week = in_process("week", args.days, args.soak_rate)
    soak = in_process("soak", 1, args.soak_rate)
    flat = {name: spreads(run) for name, run in (("week", week), ("soak", soak))}
    rows = [
        ("ergod run, after READY=1", d_start, ""),
        (f"ergod run, after {args.flood_seconds:g} s at {rate:,.0f} moves/s", d_flood, ""),
    ]
    for name, run in (("week", week), ("soak", soak)):
        note = (
            f"{run['events']:,} events, {run['written']:,} records stored "
            f"({run['dropped']} dropped) in {run['seconds']:.1f} s"
        )
        start, final = run["start"], run["final"]
        assert isinstance(start, list) and isinstance(final, list)
        label = f"{args.days} days" if name == "week" else "24 h soak"
        rows.append((f"engine + store, {label}: start", (start[0], start[1]), ""))
        rows.append((f"engine + store, {label}: end", (final[0], final[1]), note))
    print(f"{'process and moment':<48} {'RSS MiB':>8} {'USS MiB':>8}  note")
    for name, (rss, uss), note in rows:
        print(f"{name:<48} {rss:>8.1f} {uss:>8.1f}  {note}")
    for name, run in (("week", week), ("soak", soak)):
        samples = run["samples"]
        assert isinstance(samples, list)
        rss_series = [s[1] for s in samples]
        whole, warm = flat[name]
        print(
            f"\n{name}: {len(samples)} hourly samples"
            + (f" at {args.soak_rate:g}x the usual input rate" if name == "soak" else "")
            + f"\n  RSS min {min(rss_series):.1f}  max {max(rss_series):.1f}"
            f"  final {rss_series[-1]:.1f} MiB"
            f"\n  spread from the start: RSS {whole[0]:.2f}, USS {whole[1]:.2f} MiB;"
            f" after the first hour of input: RSS {warm[0]:.2f}, USS {warm[1]:.2f} MiB"
        )
        step = 1 if name == "soak" else 24
        print(f"  RSS every {step} h: " + " ".join(f"{s[1]:.1f}" for s in samples[::step]))
    peak = max(d_start[0], d_flood[0])
    record(
        args.results,
        "memory: ergod run RSS < 35 MiB",
        f"{d_start[0]:.1f} MiB after start, {d_flood[0]:.1f} after flood "
        f"(USS {d_start[1]:.1f}/{d_flood[1]:.1f})",
        peak < RSS_TARGET,
    )
    flood_growth = d_flood[0] - d_start[0]
    record(
        args.results,
        "memory: flat within 2 MiB (week; 24 h soak; daemon flood)",
        f"RSS/USS spread from start: week {flat['week'][0][0]:.2f}/{flat['week'][0][1]:.2f}, "
        f"soak {flat['soak'][0][0]:.2f}/{flat['soak'][0][1]:.2f}; daemon flood "
        f"{flood_growth:+.1f}",
        max(*flat["week"][0], *flat["soak"][0], flood_growth) <= FLAT_TARGET,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
