"""Clock faults under a running daemon (issue 7): wall-clock jumps, a time-zone
change, a suspend. No prompt burst, no lost prompt, the store's local times
(and so the weeks of the summary) right.

This machine's clocks cannot be changed safely, so each scenario runs
`Daemon(...).run()` on the main thread of a child Python process with the
clocks it injects (CHILD below):

* the wall clock is `real + WALL` for the daemon (`wall=`), as a system clock
  step would be; the engine's clock (`clock=`, CLOCK_BOOTTIME), on which the
  daemon schedules its wake-ups, does not move; the step is noticed by the
  polling step watch (`steps=`), since no kernel sees this process's shift;
* a suspend adds SLEPT to the engine's clock and to `read_clocks()`'s boottime
  but not to its monotonic reading (the BOOTTIME/MONOTONIC gap the daemon's
  SuspendDetector watches), and to the wall clock, as a real suspend does;
* a zone change sets TZ and calls `time.tzset()`, as a process sees it.

The daemon runs in schedule-only mode (no display), and for the suspend also
idle-first on Xvfb with xdotool playing a user who keeps working.

The child counts resolved breaks (the daemon's own "today" counts) before and
after the fault and prints one JSON line; prompts come every 2 s of engine time
(stretch every 2 s, one prompt per break). "Lost" means no
two more breaks within a 15 s safety timeout; "burst" means more breaks than
the engine time since the fault allows. Neither is a speed measurement.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from daemon_support import ERGOD, private_env
from servers import require_tool
from test_faults_store import fast_config

pytestmark = pytest.mark.e2e

EVERY = 2.0
CONFIG = fast_config(EVERY, 1, 0.5)

CHILD = r"""
import json, logging, os, subprocess, sys, threading, time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import ergod.activity.suspend as suspend
from ergod.daemon import clock as boot
from ergod.daemon.protocol import send_request
from ergod.daemon.shell import Daemon
from ergod.daemon.steps import PolledSteps
from ergod.environment import Environment
from ergod.errors import ErgodError

EVERY = float(sys.argv[3])
WALL = [0.0]   # seconds the wall clock is off from the real one
SLEPT = [0.0]  # emulated suspend: CLOCK_BOOTTIME ran on, CLOCK_MONOTONIC did not


def engine_clock():
    return boot.now() + SLEPT[0]


def wall():
    return datetime.now(timezone.utc) + timedelta(seconds=WALL[0])


logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
suspend.read_clocks = lambda: suspend.ClockReading(
    boottime=engine_clock(), monotonic=time.monotonic()
)
# No kernel notices this process's shifted wall clock, so the step watch that
# production takes from a timerfd is the portable one, comparing every second.
steps = PolledSteps(engine_clock, wall, 1.0)
env = Environment.from_os()
daemon = Daemon(env, [Path(sys.argv[1])], clock=engine_clock, wall=wall, steps=steps)


def status():
    # The daemon's own answer, through its control socket (retried while it starts).
    deadline = time.monotonic() + 15
    while True:
        try:
            return send_request(env, {"command": "status"})
        except ErgodError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def resolved():
    return sum(row["count"] for row in status()["today"])


def wait_breaks(n, timeout=15.0):
    # Real time for the safety net: the clocks under test are the injected ones.
    start = resolved()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if resolved() >= start + n:
            return True
        time.sleep(0.05)
    return False


def fault(name):
    if name == "forward":
        WALL[0] += 3600
    elif name == "back":
        WALL[0] -= 3600
    elif name == "zone":
        os.environ["TZ"] = "America/New_York"
        time.tzset()
    elif name == "suspend":
        SLEPT[0] += 3600
        WALL[0] += 3600
    else:
        raise SystemExit(f"unknown fault {name}")


def scenario():
    result = {}
    try:
        result["before"] = wait_breaks(2)
        fault(sys.argv[2])
        e0, r0 = engine_clock(), resolved()
        result["after"] = wait_breaks(2)
        e1, r1 = engine_clock(), resolved()
        result["breaks_after"] = r1 - r0
        result["allowed_after"] = int((e1 - e0) / EVERY) + 2
        result["mode"] = status()["source"]["mode"]
    finally:
        print(json.dumps(result), flush=True)
        daemon.stop()


def wiggle():
    # A user at the desk throughout (the x11 variant): xdotool moves the pointer.
    x = 0
    while True:
        x = (x + 7) % 500
        subprocess.run(["xdotool", "mousemove", str(100 + x), "200"], check=False)
        time.sleep(0.25)


if os.environ.get("FAULT_MOUSE"):
    threading.Thread(target=wiggle, daemon=True).start()
threading.Thread(target=scenario, daemon=True).start()
sys.exit(daemon.run())
"""

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def run_child(tmp_path: Path, fault: str, **extra_env: str) -> tuple[dict[str, Any], str, Path]:
    env = private_env(tmp_path, TZ=BERLIN, **extra_env)
    config = tmp_path / "clock.toml"
    source = extra_env.get("FAULT_SOURCE", "none")
    config.write_text(f'[activity]\nsource = "{source}"\n\n' + CONFIG)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(config), fault, str(EVERY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the child:\n{done.stdout}\n{done.stderr}"
    db = Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db"
    return json.loads(lines[-1]), done.stderr, db


def breaks(db: Path) -> list[tuple[float, int, int]]:
    """(due_utc, due_offset, prompts) of every stored break, in order."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT due_utc, due_offset, prompts FROM breaks ORDER BY due_utc")
        return [(float(a), int(b), int(c)) for a, b, c in rows]


def offset_now(zone: str) -> int:
    offset = datetime.now(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def check_prompts(result: dict[str, Any], output: str) -> None:
    assert result.get("before"), f"no prompts before the fault: {result}\n{output}"
    assert result.get("after"), f"prompts lost after the fault: {result}\n{output}"
    assert result["breaks_after"] <= result["allowed_after"], f"a burst of prompts: {result}"


@pytest.mark.parametrize(
    "fault",
    [
        "forward",
        "back",
    ],
)
def test_a_wall_clock_jump_neither_bursts_nor_loses_prompts(tmp_path: Path, fault: str) -> None:
    result, output, db = run_child(tmp_path, fault)
    check_prompts(result, output)
    stored = breaks(db)
    assert stored and all(prompts <= 1 for _, _, prompts in stored), stored
    # Local times follow the wall clock: every row has the zone's offset.
    assert {offset for _, offset, _ in stored} == {offset_now(BERLIN)}


def test_a_time_zone_change_is_followed_by_the_stored_local_times(tmp_path: Path) -> None:
    """TZ Berlin -> New York mid-run: prompts go on as before (the engine counts
    seconds, not local time), and breaks resolved after the change carry New
    York's offset, so the summary puts them on the user's new local day."""
    result, output, db = run_child(tmp_path, "zone")
    check_prompts(result, output)
    stored = breaks(db)
    assert stored[0][1] == offset_now(BERLIN)
    assert stored[-1][1] == offset_now(NEW_YORK), (
        f"after the zone change a break was stored with offset {stored[-1][1]} s, "
        f"not New York's {offset_now(NEW_YORK)} s"
    )


@pytest.mark.parametrize(
    "mode",
    [
        "schedule-only",
        pytest.param("idle-first", marks=pytest.mark.x11),
    ],
)
def test_a_suspend_neither_bursts_nor_loses_prompts(
    tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> None:
    """An hour asleep (BOOTTIME and the wall clock jump, MONOTONIC does not): the
    daemon notices the sleep, prompts resume at the usual pace, and the summary
    counts every stored break in the weeks of its local time. In `idle-first` the
    daemon watches a real X server (Xvfb) where xdotool plays a user who keeps
    working; in `schedule-only` it has no activity source."""
    extra: dict[str, str] = {}
    if mode == "idle-first":
        require_tool("xdotool")
        display = request.getfixturevalue("xvfb")
        extra = {"DISPLAY": display, "FAULT_MOUSE": "1", "FAULT_SOURCE": "x11"}
    result, output, db = run_child(tmp_path, "suspend", **extra)
    assert result.get("mode") == mode, result
    check_prompts(result, output)
    assert "resumed after 3600 s asleep" in output, output
    stored = breaks(db)
    assert all(prompts <= 1 for _, _, prompts in stored), stored
    weeks: dict[str, int] = {}
    for due, offset, _ in stored:
        local = datetime.fromtimestamp(due + offset, timezone.utc)
        iso = local.isocalendar()
        key = f"{iso.year}-W{iso.week:02d}"
        weeks[key] = weeks.get(key, 0) + 1
    env = private_env(tmp_path, TZ=BERLIN)
    for week, count in weeks.items():
        done = subprocess.run(
            [str(ERGOD), "summary", "--week", week, "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["week"] == week
        assert summary["breaks"]["stretch"]["due"] == count, (week, summary["breaks"])
