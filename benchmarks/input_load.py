"""What the whole running daemon costs under input: `ergod run` beside a bare listener and Workrave.

    python benchmarks/input_load.py [--seconds 30] [--rate 1000] [--keys 15] [--results FILE]

Starts Xvfb, a private D-Bus session and dunst, then, on that display and bus:
the installed `ergod run` (private XDG dirs, defaults), a bare pynput listener
with empty callbacks (input_cost.py's `bare` worker, which also counts the
events it sees: the achieved rate), and, when it is installed, Workrave (with a
temporary HOME). Two windows of `--seconds` each feed the same input to all:

* mouse: one `xdotool -` process fed `--rate` relative moves a second
  (input_cost.Flood's paced batches);
* typing: the same with `key` commands at `--keys` a second.

Each process's CPU share is the delta of its user+system time (its children
included, for Workrave) over the window, in % of one core, printed next to the
ratio to the bare listener and to Workrave. Targets (issue 7): ergod under 0.5%
of a core and under 0.25x Workrave. If Workrave is missing or does not start,
the table says why and the ratio to it is left out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from input_cost import Flood, Worker
from servers import stop_process
from startup import daemon_on_display, record

WORKRAVE_SETTLE = 5.0  # seconds for Workrave to map its windows and start its timers
CORE_TARGET = 0.5  # % of one core
WORKRAVE_TARGET = 0.25


@dataclass(frozen=True)
class Window:
    """One measured window: CPU % of a core per process, the input achieved."""

    name: str
    shares: dict[str, float]
    sent_per_s: float
    seen_per_s: float


def cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def start_workrave(env: dict[str, str], home: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """Workrave on the same display and bus, or None and why not."""
    exe = shutil.which("workrave")
    if exe is None:
        return None, "not installed (apt-get install workrave; run_all does it as root)"
    wenv = dict(env, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    proc = subprocess.Popen(
        [exe], env=wenv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(WORKRAVE_SETTLE)
    if proc.poll() is not None:
        return None, f"exited with {proc.returncode} within {WORKRAVE_SETTLE:g} s"
    # `workrave --version` talks to the running instance and can hang: ask dpkg.
    version = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "workrave"], capture_output=True, text=True
    )
    return proc, f"Workrave {version.stdout.strip() or '(version unknown)'}"


def measure_window(
    name: str, procs: dict[str, psutil.Process], bare: Worker, feed: Flood, seconds: float
) -> Window:
    time.sleep(1.0)  # let the feed reach its pace
    first_seen, first_sent = bare.count(), feed.sent
    shares, wall = cpu_shares(procs, seconds)
    seen, sent = bare.count() - first_seen, feed.sent - first_sent
    return Window(name, shares, sent / wall, seen / wall)


def cpu_shares(procs: dict[str, psutil.Process], seconds: float) -> tuple[dict[str, float], float]:
    """Each process's CPU % of a core over a window of about `seconds`, and the window."""
    before = {k: cpu_seconds(p) for k, p in procs.items()}
    start = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - start
    after = {k: cpu_seconds(p) for k, p in procs.items()}
    return {k: 100.0 * (after[k] - before[k]) / wall for k in procs}, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="each measured window")
    parser.add_argument("--rate", type=int, default=1000, help="mouse events per second")
    parser.add_argument("--keys", type=float, default=15.0, help="keys per second while typing")
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    windows: list[Window] = []
    with (
        tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp,
        daemon_on_display(Path(tmp)) as (display, bus, daemon),
    ):
        env = dict(os.environ, DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=bus)
        env.pop("WAYLAND_DISPLAY", None)
        bare = Worker("bare", env, 20.0)
        workrave, workrave_note = start_workrave(env, Path(tmp) / "workrave-home")
        procs = {"ergod": psutil.Process(daemon.pid), "bare": bare.ps}
        if workrave is not None:
            procs["workrave"] = psutil.Process(workrave.pid)
        try:
            flood = Flood(env, args.rate)
            try:
                windows.append(measure_window("mouse", procs, bare, flood, args.seconds))
            finally:
                flood.close()
            typist = Flood(env, args.keys, keys=True)
            try:
                windows.append(measure_window("typing", procs, bare, typist, args.seconds))
            finally:
                typist.close()
            rss = {k: p.memory_info().rss / 2**20 for k, p in procs.items()}
        finally:
            bare.close()
            if workrave is not None:
                stop_process(workrave)
    labels = {
        "ergod": "ergod run (whole daemon)",
        "bare": "bare pynput listener, empty callbacks",
        "workrave": workrave_note,
    }
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    print(
        f"windows of {args.seconds:g} s on {psutil.cpu_count()} cores; CPU time counted in "
        f"{1000 * tick:g} ms ticks: resolution {100 * tick / args.seconds:.3f}% of a core"
    )
    if workrave is None:
        print(f"Workrave: {workrave_note}")
    for w in windows:
        unit = "moves" if w.name == "mouse" else "keys"
        seen = w.seen_per_s if w.name == "mouse" else w.seen_per_s / 2  # press + release
        print(
            f"\n{w.name}: sent {w.sent_per_s:,.0f} {unit}/s, "
            f"the bare listener saw {seen:,.0f} {unit}/s"
        )
        print(f"{'process':<40} {'CPU % core':>10} {'vs bare':>8} {'vs workrave':>12}")
        for key, share in w.shares.items():
            vs_bare = share / w.shares["bare"] if w.shares["bare"] > 0 else float("nan")
            vs_wr = "-"
            if "workrave" in w.shares and w.shares["workrave"] > 0:
                vs_wr = f"{share / w.shares['workrave']:.3f}"
            print(f"{labels[key]:<40} {share:>9.3f}% {vs_bare:>8.3f} {vs_wr:>12}")
    print("\nRSS at the end (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in rss.items()))
    mouse, typing = windows
    record(
        args.results,
        "input: ergod run < 0.5% of a core (1,000/s mouse; 15 keys/s)",
        f"{mouse.shares['ergod']:.3f}% mouse ({mouse.seen_per_s:,.0f} ev/s seen), "
        f"{typing.shares['ergod']:.3f}% typing",
        max(mouse.shares["ergod"], typing.shares["ergod"]) < CORE_TARGET,
    )
    if "workrave" in mouse.shares:
        ratios = [w.shares["ergod"] / w.shares["workrave"] for w in windows if w.shares["workrave"]]
        record(
            args.results,
            "input: ergod run < 0.25x Workrave",
            f"mouse {mouse.shares['ergod']:.3f}% vs {mouse.shares['workrave']:.3f}%, "
            f"typing {typing.shares['ergod']:.3f}% vs {typing.shares['workrave']:.3f}%",
            bool(ratios) and max(ratios) < WORKRAVE_TARGET,
        )
    else:
        record(args.results, "input: ergod run < 0.25x Workrave", workrave_note, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
