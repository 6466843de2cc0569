"""What `ergod status --follow` and the tray icon cost while nothing changes.

    python benchmarks/follow_cost.py [--seconds 60] [--followers 3] [--results FILE]

Starts Xvfb, a private D-Bus session, dunst and a StatusNotifierWatcher (the
tests' recording one, so the tray icon registers and counts as watched),
then the installed `ergod run` with its defaults but `break_after = "30s"`
(a system config.toml in its private tree).
Nobody types. Once the daemon says nobody sits (the X server's start may
count as input: a bout of up to `break_after`, whose minutes are changes),
it measures the daemon's wake-ups (voluntary context
switches over all its threads, as idle_cost.py does) over one window with
nobody following, then starts N followers (`ergod status --follow --format
waybar`, as a bar runs it) and measures the daemon and the followers over a
second window, counting the lines they print. A pause afterwards proves
each follower was still listening. Target: 0 wake-ups/s and 0 lines while
nothing changes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from dbus_services import StatusNotifierWatcher  # noqa: E402
from idle_cost import measure  # noqa: E402
from startup import daemon_env, daemon_on_display, record  # noqa: E402
from test_e2e_follow import ERGOD, Follower  # noqa: E402

SETTLE = 120.0  # at most, until the daemon says nobody sits
CONFIG = '[sitting]\nbreak_after = "30s"\n'


def settle(env: dict[str, str]) -> None:
    """Wait until the daemon answers and says nobody sits, then a little more."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        done = subprocess.run(
            [str(ERGOD), "status", "--json"], env=env, capture_output=True, text=True
        )
        if done.returncode == 0 and json.loads(done.stdout)["sitting_seconds"] is None:
            time.sleep(2.0)  # the job that ended the bout has placed its wake-up
            return
        time.sleep(1.0)
    raise SystemExit("the daemon still counts someone sitting; is something typing?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--followers", type=int, default=3)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "etc").mkdir()
        (tmp / "etc" / "config.toml").write_text(CONFIG)  # daemon_env's ERGOD_SYSTEM_DIR
        with daemon_on_display(tmp) as (display, bus, daemon):
            watcher = StatusNotifierWatcher(bus)  # the tray registers when it appears
            env = daemon_env(tmp, display, bus)
            followers: list[Follower] = []
            try:
                settle(env)
                ergod = psutil.Process(daemon.pid)
                alone = measure({"ergod run": ergod}, args.seconds)["ergod run"]
                followers = [Follower(env) for _ in range(args.followers)]
                for follower in followers:
                    follower.next()
                # Past the attach itself: the control thread returns to its select
                # after the first line, and a follower to its read, a moment after
                # that line arrives. The window is the steady state.
                time.sleep(1.0)
                procs = {"ergod run": ergod}
                for i, follower in enumerate(followers):
                    procs[f"follower {i + 1}"] = psutil.Process(follower.proc.pid)
                watched = measure(procs, args.seconds)
                printed = sum(f.lines.qsize() for f in followers)
                subprocess.run(
                    [str(ERGOD), "pause", "1m"], env=env, capture_output=True, check=True
                )
                alive = sum(_saw_pause(f) for f in followers)
                registered = len(watcher.items)
            finally:
                for follower in followers:
                    follower.close()
                watcher.close()
    report(args, alone, watched, printed, alive, registered)
    return 0


def _saw_pause(follower: Follower) -> bool:
    try:
        follower.until("paused", timeout=10)
    except AssertionError:
        return False
    return True


def report(
    args: argparse.Namespace,
    alone: tuple[float, int, int],
    watched: dict[str, tuple[float, int, int]],
    printed: int,
    alive: int,
    registered: int,
) -> None:
    print(f"window {args.seconds:.0f} s each, nobody typing; tray registered: {registered}")
    print(f"{'process':22} {'CPU s':>7} {'wakeups/s':>10} {'threads +/-':>11}")
    print(f"{'ergod run, alone':22} {alone[0]:7.3f} {alone[1] / args.seconds:10.3f} {alone[2]:>11}")
    for name, (cpu, woken, churn) in watched.items():
        label = f"{name}, followed" if name == "ergod run" else name
        print(f"{label:22} {cpu:7.3f} {woken / args.seconds:10.3f} {churn:>11}")
    print(f"lines printed in the window: {printed}; followers that saw the pause after: {alive}")
    woken = watched["ergod run"][1]
    record(
        args.results,
        f"follow: 0 wake-ups/s while away, {args.followers} followers + a tray host",
        f"{woken / args.seconds:.3f}/s ({woken} in {args.seconds:g} s; alone "
        f"{alone[1]}), {printed} lines, {alive}/{args.followers} saw the pause",
        woken == 0 and printed == 0 and alive == args.followers and registered > 0,
    )


if __name__ == "__main__":
    raise SystemExit(main())
