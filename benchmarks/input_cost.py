"""What watching the user costs: CPU share of each activity source under a mouse flood.

Run: `python benchmarks/input_cost.py [--seconds 10] [--rate 1000] [--threshold 20]`
(needs Xvfb and xdotool). It starts its own Xvfb, then, each in its own process:

* `bare`: a pynput mouse+keyboard listener with empty callbacks (the baseline:
  what any "see every event" design pays; it also counts the events it sees,
  which gives the achieved rate),
* `x11`: ergod's X11Source doing what the daemon does while the user is
  present: one idle query at last input + threshold, a return watch only when
  an absence has reached the threshold,
* `pynput`: ergod's fallback ListenerSource, with the same loop.

A single xdotool process reads paced batches of moves from stdin and moves the
pointer at about `--rate` events/s. Each process's CPU share is the delta of
its user+system time over the same wall-clock window, in % of one core; the
table shows it next to the ratio to the bare listener. Target: ergod's x11
source under 0.5% of a core at any input rate.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psutil

WORKERS = ("bare", "x11", "pynput")
BATCH_PERIOD = 0.001  # a batch a millisecond: at 1,000/s one move each, like a 1 kHz mouse


def _reply(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _serve(counter: list[int]) -> None:
    """Answer `count` on stdin with the events seen so far; return at EOF."""
    _reply("ready")
    for line in sys.stdin:
        if line.strip() == "count":
            _reply(str(counter[0]))


def run_bare() -> None:
    from pynput import keyboard, mouse

    seen = [0]

    def on_event(*_: object) -> None:
        seen[0] += 1

    listeners = [
        mouse.Listener(on_move=on_event, on_click=on_event, on_scroll=on_event),
        keyboard.Listener(on_press=on_event, on_release=on_event),
    ]
    for listener in listeners:
        listener.start()
        listener.wait()
    _serve(seen)


def run_source(name: str, threshold: float) -> None:
    from ergod.activity.listener import ListenerSource
    from ergod.activity.x11 import probe
    from ergod.daemon.clock import now

    source = probe(now, os.environ) if name == "x11" else ListenerSource(now)
    source.start()
    queries = [0]
    stop = threading.Event()

    def presence_loop() -> None:
        # The daemon's questions while the user is present: is the absence
        # that would start at the last input still going at input + threshold?
        returned = threading.Event()
        while not stop.is_set():
            queries[0] += 1
            idle = source.idle_seconds()
            if idle < threshold:
                stop.wait(threshold - idle)
                continue
            returned.clear()
            source.watch_return(lambda _t: returned.set())
            while not (stop.is_set() or returned.wait(0.5)):
                pass

    thread = threading.Thread(target=presence_loop, daemon=True)
    thread.start()
    _serve(queries)
    stop.set()
    source.stop()


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "800x600x24"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise SystemExit("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=5)


class Worker:
    """One measured process, driven over its stdin and stdout."""

    def __init__(self, kind: str, env: dict[str, str], threshold: float) -> None:
        self.kind = kind
        command = [sys.executable, __file__, "--worker", kind, "--threshold", str(threshold)]
        self.proc = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ps = psutil.Process(self.proc.pid)
        if self._read() != "ready":
            raise SystemExit(f"worker {kind} did not start")

    def _read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def count(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self._read())

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Flood:
    """One xdotool process moving the pointer (or, with `keys`, typing) `rate` times a second.

    xdotool runs each line of its stdin as it arrives, so a thread here
    writes a batch of relative moves every BATCH_PERIOD (or one key every
    1/rate s) on an absolute schedule: the rate holds however long xdotool
    takes per batch.
    """

    def __init__(self, env: dict[str, str], rate: float, keys: bool = False) -> None:
        self.per_batch = 1 if keys else max(1, round(rate * BATCH_PERIOD))
        self._period = 1.0 / rate if keys else BATCH_PERIOD
        # Moves to and fro: each one is a real motion event.
        self._batch = (
            "key --delay 0 x\n"
            if keys
            else "".join(
                f"mousemove_relative -- {1 if i % 2 == 0 else -1} 0\n"
                for i in range(self.per_batch)
            )
        )
        self.sent = 0
        self._proc = subprocess.Popen(["xdotool", "-"], stdin=subprocess.PIPE, env=env, text=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        assert self._proc.stdin is not None
        due = time.monotonic()
        while not self._stop.is_set():
            self._proc.stdin.write(self._batch)
            self._proc.stdin.flush()
            self.sent += self.per_batch
            due += self._period
            self._stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def measure(seconds: float, rate: int, threshold: float) -> None:
    with xvfb() as display:
        env = dict(os.environ, DISPLAY=display)
        env.pop("WAYLAND_DISPLAY", None)
        workers = [Worker(kind, env, threshold) for kind in WORKERS]
        flood = Flood(env, rate)
        try:
            time.sleep(0.5)  # let the flood reach its pace
            bare = workers[0]
            first_count, first_sent = bare.count(), flood.sent
            start_cpu = [w.cpu() for w in workers]
            start = time.monotonic()
            time.sleep(seconds)
            wall = time.monotonic() - start
            end_cpu = [w.cpu() for w in workers]
            events = bare.count() - first_count
            sent = flood.sent - first_sent
            queries = [w.count() for w in workers]
        finally:
            flood.close()
            for worker in workers:
                worker.close()
    shares = [100.0 * (end - begin) / wall for begin, end in zip(start_cpu, end_cpu, strict=True)]
    print(
        f"flood: asked {rate}/s, sent {sent / wall:.0f} moves/s; "
        f"the bare listener saw {events / wall:.0f} events/s"
    )
    tick = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
    print(
        f"window: {wall:.1f} s on {psutil.cpu_count()} cores, threshold {threshold:g} s; "
        f"CPU time is counted in {tick * 1000:g} ms ticks: resolution {100 * tick / wall:.2f}%\n"
    )
    print(f"{'process':<44} {'CPU % of a core':>16} {'vs bare':>8}")
    labels = {
        "bare": "bare pynput listener, empty callbacks",
        "x11": f"ergod x11 source ({queries[1]} idle queries)",
        "pynput": "ergod pynput fallback source",
    }
    for worker, share in zip(workers, shares, strict=True):
        ratio = share / shares[0] if shares[0] > 0 else float("nan")
        print(f"{labels[worker.kind]:<44} {share:>15.2f}% {ratio:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window")
    parser.add_argument("--rate", type=int, default=1000, help="mouse events per second")
    parser.add_argument("--threshold", type=float, default=20.0, help="smallest absence (s)")
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "bare":
        run_bare()
    elif args.worker:
        run_source(args.worker, args.threshold)
    else:
        measure(args.seconds, args.rate, args.threshold)


if __name__ == "__main__":
    main()
