"""The whole daemon on Wayland: `ergod run` on headless sway beside a bare listener on Xvfb.

    python benchmarks/wayland_load.py [--seconds 20] [--rate 1000] [--keys 15] [--results FILE]

Starts headless sway 1.7 as the `nobody` uid (sway refuses root;
tests/wayland_support.py) and the installed `ergod run` in that session (its
own XDG dirs, default config, no bus: console notices), which must pick the
`wayland` source (org_kde_kwin_idle). In the same run, Xvfb with a bare pynput
listener with empty callbacks (input_cost.py's `bare` worker): what any "see
every event" design pays. Two windows of `--seconds`, each feeding both at
once:

* pointer: `--rate` moves a second into sway through its IPC socket
  (`seat seat0 cursor move`, ten commands per message, every reply read: the
  achieved rate), and the same rate of xdotool moves into Xvfb;
* typing: `--keys` keys a second, one `wtype` per key into sway and xdotool
  `key` commands into Xvfb.

Each process's CPU share is the delta of its user+system time over the window,
in % of one core, with the ratio to the bare listener; sway's own share is
shown for scale. ergod's idle answer at the end of each window shows the
input counted as activity: while the user is active the wayland source answers
at most half the watch threshold (10 s with the defaults), more once idle.
Target (issue 12): ergod under 0.5% of a core on Wayland too. The idle
protocol sends nothing while the user is active; each wtype adds and removes a
virtual keyboard, which sway announces to every wl_seat client, ergod included.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from daemon_support import ERGOD, Daemon, status, wait_for
from input_cost import Flood, Worker, xvfb
from input_load import cpu_shares
from startup import record
from wayland_support import GID, UID, Sway, as_user, running_sway

CORE_TARGET = 0.5  # % of one core
IPC_MAGIC = b"i3-ipc"
RUN_COMMAND = 0
PER_MESSAGE = 10


class SwayPointer:
    """`rate` pointer moves a second into sway over its IPC socket (paced, replies read)."""

    def __init__(self, sway: Sway, rate: float) -> None:
        (path,) = sway.runtime.glob("sway-ipc.*.sock")
        self._sock = socket.socket(socket.AF_UNIX)
        self._sock.connect(str(path))
        moves = [f"seat seat0 cursor move {1 if i % 2 == 0 else -1} 0" for i in range(PER_MESSAGE)]
        payload = ";".join(moves).encode()
        self._message = IPC_MAGIC + struct.pack("=II", len(payload), RUN_COMMAND) + payload
        self._period = PER_MESSAGE / rate
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _reply(self) -> list[dict[str, object]]:
        header = self._read(len(IPC_MAGIC) + 8)
        length, _ = struct.unpack("=II", header[len(IPC_MAGIC) :])
        answer: list[dict[str, object]] = json.loads(self._read(length))
        return answer

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise SystemExit("sway closed its IPC socket")
            data += chunk
        return data

    def _feed(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            self._sock.sendall(self._message)
            self.sent += sum(1 for r in self._reply() if r.get("success"))
            due += self._period
            self._stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


class SwayTypist:
    """`rate` keys a second into sway, one `wtype` per key (wtype sends on exit)."""

    def __init__(self, sway: Sway, rate: float) -> None:
        self._argv = as_user(("wtype", "k"))
        self._env = sway.env()
        self._period = 1.0 / rate
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            subprocess.run(self._argv, env=self._env, check=False, capture_output=True)
            self.sent += 1
            due += self._period
            self._stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextmanager
def ergod_on_sway(sway: Sway) -> Iterator[tuple[Daemon, dict[str, str]]]:
    """The installed `ergod run` as `nobody` in sway's session, once it runs on wayland."""
    env = sway.env(DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        path = sway.runtime / name.lower()
        path.mkdir(mode=0o700)
        os.chown(path, UID, GID)
        env[name] = str(path)
    env["ERGOD_SYSTEM_DIR"] = str(sway.runtime / "no-system-config")
    daemon = Daemon(env, runner=as_user(()))
    try:
        first = wait_for(lambda: status(env, as_user(())), 60, "ergod's control socket")
        if first["source"]["name"] != "wayland":
            raise SystemExit(f"ergod did not pick wayland: {first['source']}")
        yield daemon, env
    finally:
        daemon.stop()


@dataclass(frozen=True)
class Window:
    """One measured window: CPU % of a core per process, the input achieved."""

    name: str
    shares: dict[str, float]
    to_sway: float
    to_x: float
    seen: float
    idle: float | None


def window(
    name: str, feeds: tuple[SwayPointer | SwayTypist, Flood], procs: dict[str, psutil.Process],
    bare: Worker, seconds: float, env: dict[str, str],
) -> Window:  # fmt: skip
    sway_feed, x_feed = feeds
    try:
        time.sleep(1.0)  # let the feeds reach their pace
        sent0, seen0, x0 = sway_feed.sent, bare.count(), x_feed.sent
        shares, wall = cpu_shares(procs, seconds)
        to_sway, to_x = (sway_feed.sent - sent0) / wall, (x_feed.sent - x0) / wall
        seen = (bare.count() - seen0) / wall
        idle = (status(env, as_user(())) or {}).get("idle_seconds")
    finally:
        sway_feed.close()
        x_feed.close()
    return Window(name, shares, to_sway, to_x, seen, idle)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="each measured window")
    parser.add_argument("--rate", type=int, default=1000, help="pointer moves per second")
    parser.add_argument("--keys", type=float, default=15.0, help="keys per second while typing")
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not ERGOD.exists():
        raise SystemExit(f"{ERGOD} is missing: run with the project's venv python")
    with (
        running_sway() as sway,
        ergod_on_sway(sway) as (daemon, env),
        xvfb() as display,
    ):
        xenv = dict(os.environ, DISPLAY=display)
        xenv.pop("WAYLAND_DISPLAY", None)
        bare = Worker("bare", xenv, 20.0)
        procs = {
            "ergod": psutil.Process(daemon.proc.pid),
            "bare": bare.ps,
            "sway": psutil.Process(sway.proc.pid),
        }
        try:
            feeds = SwayPointer(sway, args.rate), Flood(xenv, args.rate)
            pointer = window("pointer", feeds, procs, bare, args.seconds, env)
            typed = SwayTypist(sway, args.keys), Flood(xenv, args.keys, keys=True)
            typing = window("typing", typed, procs, bare, args.seconds, env)
        finally:
            bare.close()
    report(args, [pointer, typing])
    return 0


def report(args: argparse.Namespace, windows: list[Window]) -> None:
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    print(
        f"windows of {args.seconds:g} s on {psutil.cpu_count()} cores; CPU time counted in "
        f"{1000 * tick:g} ms ticks: resolution {100 * tick / args.seconds:.3f}% of a core"
    )
    labels = {
        "ergod": "ergod run on sway (wayland source)",
        "bare": "bare pynput listener on Xvfb",
        "sway": "sway itself (for scale)",
    }
    for w in windows:
        unit = "moves" if w.name == "pointer" else "keys"
        seen = w.seen if w.name == "pointer" else w.seen / 2  # press + release
        idle = "unknown" if w.idle is None else f"{w.idle:.1f} s"
        print(
            f"\n{w.name}: sway got {w.to_sway:,.0f} {unit}/s, Xvfb {w.to_x:,.0f} {unit}/s "
            f"(the bare listener saw {seen:,.0f}/s); ergod's idle time at the end: {idle}"
        )
        print(f"{'process':<40} {'CPU % core':>10} {'vs bare':>8}")
        for key, share in w.shares.items():
            ratio = share / w.shares["bare"] if w.shares["bare"] > 0 else float("nan")
            print(f"{labels[key]:<40} {share:>9.3f}% {ratio:>8.3f}")
    pointer, typing = (w.shares for w in windows)
    record(
        args.results,
        "wayland: ergod run on sway < 0.5% of a core (1,000/s pointer; 15 keys/s)",
        f"{pointer['ergod']:.3f}% pointer, {typing['ergod']:.3f}% typing "
        f"(bare listener on Xvfb {pointer['bare']:.3f}%, {typing['bare']:.3f}%)",
        max(pointer["ergod"], typing["ergod"]) < CORE_TARGET,
    )


if __name__ == "__main__":
    raise SystemExit(main())
