"""What `ergod status --follow` and the tray icon cost while nothing changes.

    python benchmarks/follow_cost.py [--seconds 60] [--followers 3] [--results FILE]

Starts Xvfb, a private D-Bus session, dunst and a StatusNotifierWatcher (the
tests' recording one, so the tray icon registers and counts as watched),
then the installed `ergod run` with its defaults but `break_after = "30s"`.
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
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from dbus_services import StatusNotifierWatcher  # noqa: E402
from idle_cost import measure  # noqa: E402
from servers import running_dbus_session, running_dunst, running_xvfb  # noqa: E402
from startup import daemon_env, record  # noqa: E402

ERGOD = Path(sys.executable).with_name("ergod")
SETTLE = 120.0  # at most, until the daemon says nobody sits
CONFIG = '[sitting]\nbreak_after = "30s"\n'


class Follower:
    """One `ergod status --follow` with a count of the lines it printed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(ERGOD), "status", "--follow", "--format", "waybar"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines = 0
        self.first = threading.Event()
        self.changed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines += 1
            (self.changed if self.first.is_set() else self.first).set()
            if '"paused"' in line:
                self.changed.set()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


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
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_xvfb() as display,
        running_dbus_session() as bus,
        running_dunst(display, bus),
    ):
        watcher = StatusNotifierWatcher(bus)
        env = daemon_env(Path(tmp), display, bus)
        config = Path(tmp, "follow.toml")
        config.write_text(CONFIG)
        daemon = subprocess.Popen(
            [str(ERGOD), "run", "--config", str(config)], env=env, stderr=subprocess.DEVNULL
        )
        followers: list[Follower] = []
        try:
            settle(env)
            ergod = psutil.Process(daemon.pid)
            alone = measure({"ergod run": ergod}, args.seconds)["ergod run"]
            followers = [Follower(env) for _ in range(args.followers)]
            for follower in followers:
                follower.first.wait(20)
            time.sleep(1.0)
            before = [f.lines for f in followers]
            procs = {"ergod run": ergod}
            procs.update(
                {f"follower {i + 1}": psutil.Process(f.proc.pid) for i, f in enumerate(followers)}
            )
            watched = measure(procs, args.seconds)
            printed = sum(f.lines - b for f, b in zip(followers, before, strict=True))
            subprocess.run([str(ERGOD), "pause", "1m"], env=env, capture_output=True, check=True)
            alive = sum(f.changed.wait(10) for f in followers)
            registered = len(watcher.items)
        finally:
            for follower in followers:
                follower.stop()
            daemon.terminate()
            daemon.wait(timeout=10)
            watcher.close()
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
