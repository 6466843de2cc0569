"""What the running daemon costs while nobody types, and while someone does.

    python benchmarks/idle_cost.py [--seconds 60]

Starts Xvfb, a private D-Bus session and dunst, then the installed `ergod run`
with its defaults. Over the same windows it measures, with psutil, the CPU
time and voluntary context switches of ergod and of a baseline process that
only sleeps: first with no input at all, then with xdotool typing 15 keys/s.
Target (issue 4): under 0.05 s of CPU per 60 s without input.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import running_dbus_session, running_dunst, running_xvfb

ERGOD = Path(sys.executable).with_name("ergod")


def usage(proc: psutil.Process) -> tuple[float, int]:
    times = proc.cpu_times()
    return times.user + times.system, proc.num_ctx_switches().voluntary


def measure(procs: dict[str, psutil.Process], seconds: float) -> dict[str, tuple[float, int]]:
    before = {name: usage(p) for name, p in procs.items()}
    time.sleep(seconds)
    after = {name: usage(p) for name, p in procs.items()}
    return {
        name: (after[name][0] - before[name][0], after[name][1] - before[name][1]) for name in procs
    }


def typist(stop: threading.Event, display: str) -> None:
    env = dict(os.environ, DISPLAY=display)
    feed = subprocess.Popen(["xdotool", "-"], stdin=subprocess.PIPE, text=True, env=env)
    assert feed.stdin is not None
    while not stop.is_set():
        feed.stdin.write("key --delay 0 x\n")
        feed.stdin.flush()
        time.sleep(1 / 15)
    feed.stdin.close()
    feed.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_xvfb() as display,
        running_dbus_session() as bus,
        running_dunst(display, bus),
    ):
        env = dict(os.environ, DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=bus)
        for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            Path(tmp, name).mkdir(mode=0o700)
            env[name] = str(Path(tmp, name))
        env["ERGOD_SYSTEM_DIR"] = str(Path(tmp, "etc"))
        daemon = subprocess.Popen([str(ERGOD), "run"], env=env, stderr=subprocess.DEVNULL)
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1e6)"])
        try:
            sock = Path(env["XDG_RUNTIME_DIR"], "ergod", "control.sock")
            deadline = time.monotonic() + 20
            while not sock.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(25)  # past the first presence check (20 s), which arms the return watch
            procs = {
                "ergod run": psutil.Process(daemon.pid),
                "baseline (sleep)": psutil.Process(sleeper.pid),
            }
            idle = measure(procs, args.seconds)
            stop = threading.Event()
            feeder = threading.Thread(target=typist, args=(stop, display))
            feeder.start()
            typing = measure(procs, args.seconds)
            stop.set()
            feeder.join()
            rss = procs["ergod run"].memory_info().rss
        finally:
            daemon.terminate()
            sleeper.kill()
            daemon.wait(timeout=10)
            sleeper.wait(timeout=10)
    print(f"window {args.seconds:.0f} s each; ergod RSS at the end {rss / 2**20:.1f} MiB")
    print(
        f"{'process':18} {'no input: CPU s':>16} {'wakeups/s':>10} {'typing 15/s: CPU s':>19} "
        f"{'CPU %':>6}"
    )
    for name in procs:
        cpu_idle, ctx_idle = idle[name]
        cpu_typing, _ = typing[name]
        print(
            f"{name:18} {cpu_idle:16.3f} {ctx_idle / args.seconds:10.2f} {cpu_typing:19.3f} "
            f"{100 * cpu_typing / args.seconds:6.2f}"
        )
    verdict = "met" if idle["ergod run"][0] < 0.05 * args.seconds / 60 else "NOT met"
    print(f"target < 0.05 s CPU per 60 s without input: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
