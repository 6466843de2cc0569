"""What the running daemon costs while nobody types, and while someone does.

    python benchmarks/idle_cost.py [--seconds 60] [--results FILE]

Starts Xvfb, a private D-Bus session and dunst, then the installed `ergod run`
with its defaults. Over the same windows it measures, with psutil, the CPU
time and voluntary context switches of ergod and of a baseline process that
only sleeps: first with no input at all, then with xdotool typing 15 keys/s,
then away again with wake-ups pending (the sitting clocks run since the typing:
the bout's end is due 3 min after the last key, the stretch prompt at 20 min;
this window starts 40 s after the last key, when the return watch is armed, and
lasts at most 120 s, so no engine moment falls inside it).
Context switches are summed over all of a process's threads (/proc/PID/task):
psutil's per-process count is the main thread's only, and the daemon's work
happens on other threads. A voluntary switch is a wake-up (or a blocking call).
Targets: under 0.05 s of CPU per 60 s without input (issue 4); 0 wake-ups per
second while away and under 0.2% CPU while typing (issue 7).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import running_dbus_session, running_dunst, running_xvfb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import record

ERGOD = Path(sys.executable).with_name("ergod")


def usage(proc: psutil.Process) -> tuple[float, dict[int, int]]:
    """CPU seconds, and voluntary context switches per live thread id."""
    times = proc.cpu_times()
    switches: dict[int, int] = {}
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                switches[int(task.name)] = int(line.split()[1])
    return times.user + times.system, switches


def measure(procs: dict[str, psutil.Process], seconds: float) -> dict[str, tuple[float, int, int]]:
    """Per process: CPU seconds, wake-ups, and threads started or ended in the window.

    A thread that ended inside the window takes its switches with it (the kernel
    keeps them only for the process's own getrusage), so those are not counted:
    the third figure says how many threads that could concern.
    """
    before = {name: usage(p) for name, p in procs.items()}
    time.sleep(seconds)
    after = {name: usage(p) for name, p in procs.items()}
    out = {}
    for name in procs:
        (cpu0, sw0), (cpu1, sw1) = before[name], after[name]
        woken = sum(n - sw0.get(tid, 0) for tid, n in sw1.items())
        churn = len(sw0.keys() ^ sw1.keys())
        out[name] = (cpu1 - cpu0, woken, churn)
    return out


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


def pending_job(env: dict[str, str]) -> str:
    """What the daemon has pending, from `ergod status` (asked before the window)."""
    done = subprocess.run(
        [str(ERGOD), "status", "--json"], env=env, capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        return "status unknown"
    data = json.loads(done.stdout)
    upcoming = data.get("next") or {}
    sitting = data.get("sitting_seconds")
    return (
        f"the {upcoming.get('kind', '?')} prompt due in {upcoming.get('in_seconds', 0):.0f} s, "
        f"a sitting bout of {sitting or 0:.0f} s so far"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
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
            time.sleep(40)  # past the presence check: away, the return watch armed
            pending = pending_job(env)
            away = measure(procs, min(args.seconds, 120.0))
            rss = procs["ergod run"].memory_info().rss
        finally:
            daemon.terminate()
            sleeper.kill()
            daemon.wait(timeout=10)
            sleeper.wait(timeout=10)
    print(f"window {args.seconds:.0f} s each; ergod RSS at the end {rss / 2**20:.1f} MiB")
    print(
        f"{'process':18} {'no input: CPU s':>16} {'wakeups/s':>10} {'typing 15/s: CPU s':>19} "
        f"{'CPU %':>6} {'wakeups/s':>10} {'threads +/-':>11}"
    )
    for name in procs:
        cpu_idle, ctx_idle, churn_idle = idle[name]
        cpu_typing, ctx_typing, churn_typing = typing[name]
        print(
            f"{name:18} {cpu_idle:16.3f} {ctx_idle / args.seconds:10.2f} {cpu_typing:19.3f} "
            f"{100 * cpu_typing / args.seconds:6.2f} {ctx_typing / args.seconds:10.2f} "
            f"{f'{churn_idle}/{churn_typing}':>11}"
        )
    away_seconds = min(args.seconds, 120.0)
    cpu_away, ctx_away, churn_away = away["ergod run"]
    print(
        f"away with {pending}: {ctx_away} wake-ups in {away_seconds:.0f} s "
        f"({ctx_away / away_seconds:.3f}/s), CPU {cpu_away:.3f} s, "
        f"{churn_away} threads started/ended; baseline {away['baseline (sleep)'][1]} wake-ups"
    )
    verdict = "met" if idle["ergod run"][0] < 0.05 * args.seconds / 60 else "NOT met"
    print(f"target < 0.05 s CPU per 60 s without input: {verdict}")
    cpu_idle, ctx_idle, churn_idle = idle["ergod run"]
    cpu_typing, ctx_typing, churn_typing = typing["ergod run"]
    record(
        args.results,
        f"idle: 0 wake-ups/s while away ({args.seconds / 60:g} min)",
        f"{ctx_idle / args.seconds:.3f}/s ({ctx_idle} in {args.seconds:g} s, "
        f"{churn_idle} threads started/ended), CPU {cpu_idle:.2f} s",
        ctx_idle == 0 and churn_idle == 0,
    )
    record(
        args.results,
        f"idle: 0 wake-ups/s while away with wake-ups pending ({away_seconds:g} s)",
        f"{ctx_away / away_seconds:.3f}/s ({ctx_away} in {away_seconds:g} s, "
        f"{churn_away} threads started/ended; {pending})",
        ctx_away == 0 and churn_away == 0,
    )
    record(
        args.results,
        f"idle: < 0.2% CPU while typing 15 keys/s ({args.seconds / 60:g} min)",
        f"{100 * cpu_typing / args.seconds:.3f}% ({ctx_typing / args.seconds:.2f} wake-ups/s, "
        f"{churn_typing} threads started/ended)",
        100 * cpu_typing / args.seconds < 0.2,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
