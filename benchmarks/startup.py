"""How fast ergod starts: `--help`, `status`, and `ergod run` until READY=1.

    python benchmarks/startup.py [--repeat 10] [--results FILE]

Times, best of `--repeat`, in one run:

* `python -c pass`: the interpreter's own start-up (the baseline no command avoids);
* `ergod --help` and `ergod status` with no daemon (exit 3) and with one running;
* `ergod run` from spawn to the READY=1 datagram on its NOTIFY_SOCKET (a unix
  datagram socket made here), with private XDG dirs: with no display and no bus
  (schedule-only) and on Xvfb + a private D-Bus session + dunst.

Targets (issue 7): `--help` and `status` under 150 ms wall; READY=1 under 0.6 s.

This module also holds what the other benchmarks share about a running daemon:
`daemon_env` (private dirs), `start_daemon` (spawn, wait for READY=1) and
`daemon_on_display` (all that on Xvfb + D-Bus + dunst) and `record` (one line
of run_all's closing table).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import running_dbus_session, running_dunst, running_xvfb, stop_process

ERGOD = Path(sys.executable).with_name("ergod")
READY_TIMEOUT = 30.0
HELP_TARGET = 0.150
READY_TARGET = 0.6


def record(results: Path | None, target: str, measured: str, met: bool | None) -> None:
    """Append one row of the closing table (met None: no verdict, e.g. not measured)."""
    if results is None:
        return
    with results.open("a") as out:
        out.write(json.dumps({"target": target, "measured": measured, "met": met}) + "\n")


def daemon_env(tmp: Path, display: str | None = None, bus: str | None = None) -> dict[str, str]:
    """The environment of a daemon with its own config, state and runtime dirs."""
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET"):
        env.pop(name, None)
    if display is not None:
        env["DISPLAY"] = display
    if bus is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        path = tmp / name
        path.mkdir(mode=0o700, exist_ok=True)
        env[name] = str(path)
    env["ERGOD_SYSTEM_DIR"] = str(tmp / "etc")
    env["HOME"] = str(tmp)
    return env


@contextlib.contextmanager
def started_daemon(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Run `ergod run` in `env`; yield (process, seconds from spawn to READY=1)."""
    with tempfile.TemporaryDirectory(prefix="ergod-notify-") as tmp:
        address = str(Path(tmp) / "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(address)
            started = time.perf_counter()
            proc = subprocess.Popen(
                [str(ERGOD), "run"],
                env=dict(env, NOTIFY_SOCKET=address),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                ready = _wait_ready(sock, proc) - started
                yield proc, ready
            finally:
                stop_process(proc)


@contextlib.contextmanager
def daemon_on_display(tmp: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """Xvfb, a private D-Bus session, dunst, and `ergod run` on them (private dirs under
    `tmp`), READY=1 received; yield (display, bus address, daemon process)."""
    with (
        running_xvfb() as display,
        running_dbus_session() as bus,
        running_dunst(display, bus),
        started_daemon(daemon_env(tmp, display, bus)) as (proc, _ready),
    ):
        yield display, bus, proc


def _wait_ready(sock: socket.socket, proc: subprocess.Popen[bytes]) -> float:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        sock.settimeout(0.2)
        try:
            data = sock.recv(4096)
        except TimeoutError:
            if proc.poll() is not None:
                raise SystemExit(
                    f"ergod run exited with {proc.returncode} before READY=1"
                ) from None
            continue
        if "READY=1" in data.decode(errors="replace").splitlines():
            return time.perf_counter()
    raise SystemExit(f"ergod run sent no READY=1 within {READY_TIMEOUT:g} s")


def best_wall(repeat: int, argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Best wall time of `argv` over `repeat` runs, and its exit code."""
    best, code = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
        code = done.returncode
    return best, code


def best_ready(repeat: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(repeat):
        with started_daemon(env) as (_proc, ready):
            best = min(best, ready)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command (best of)")
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    ready_repeat = max(1, args.repeat // 2)
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp:
        env = daemon_env(Path(tmp))
        base, _ = best_wall(args.repeat, [sys.executable, "-c", "pass"], env)
        rows.append(("python -c pass (baseline)", base, "exit 0"))
        helped, code = best_wall(args.repeat, [str(ERGOD), "--help"], env)
        rows.append(("ergod --help", helped, f"exit {code}"))
        status_none, code = best_wall(args.repeat, [str(ERGOD), "status"], env)
        rows.append(("ergod status, no daemon", status_none, f"exit {code}"))
        ready_bare = best_ready(ready_repeat, env)
        rows.append(("ergod run to READY=1, no display or bus", ready_bare, "schedule-only"))
        with started_daemon(env):
            status_up, code = best_wall(args.repeat, [str(ERGOD), "status"], env)
        rows.append(("ergod status, daemon running", status_up, f"exit {code}"))
    with (
        tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp,
        running_xvfb() as display,
        running_dbus_session() as bus,
        running_dunst(display, bus),
    ):
        env = daemon_env(Path(tmp), display, bus)
        ready_x11 = best_ready(ready_repeat, env)
        rows.append(("ergod run to READY=1, Xvfb + D-Bus + dunst", ready_x11, "x11 source"))
    print(f"best of {args.repeat} (ergod run: best of {ready_repeat}), wall time")
    print(f"{'command':<44} {'ms':>8} {'x python':>9}  note")
    for name, seconds, note in rows:
        print(f"{name:<44} {1000 * seconds:>8.1f} {seconds / base:>9.2f}  {note}")
    slowest_cli = max(helped, status_none, status_up)
    record(
        args.results,
        "ergod --help, ergod status < 150 ms wall",
        f"--help {1000 * helped:.0f} ms, status {1000 * status_none:.0f}/"
        f"{1000 * status_up:.0f} ms (no daemon/running); python {1000 * base:.0f} ms",
        slowest_cli < HELP_TARGET,
    )
    slowest_ready = max(ready_bare, ready_x11)
    record(
        args.results,
        "ergod run READY=1 < 0.6 s",
        f"{ready_bare:.2f} s schedule-only, {ready_x11:.2f} s on Xvfb+D-Bus",
        slowest_ready < READY_TARGET,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
