"""End to end: `ergod status --follow` against the installed daemon on Xvfb, D-Bus, dunst.

A follower runs as a bar would run it (`ergod status --follow --format
waybar`); a thread stamps each line it prints. The daemon measures the X
server's idle time, so a test can be away (nothing changes: no line) or sit
(xdotool moves the mouse: minutes and a prompt).

* A pause, a prompt and a resume each reach the follower within a second:
  measured from the moment the daemon had done it (the CLI returned, or
  the prompt's own time from `status --json`), so a slow start of the CLI
  does not count.
* While nothing changes, nothing is printed: 60 s of silence, then a pause
  proves the follower was listening all along.
* When the daemon stops, the follower says "ergod off" and comes back with
  the next daemon.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import test_e2e_daemon
from bus_monitor import BusMonitor
from daemon_support import ERGOD, Daemon, Person, ergod, private_env, status, wait_for
from servers import NotificationServer, running_xvfb_process, stop_process
from test_e2e_daemon import mouse_move

pytestmark = pytest.mark.e2e
ergod_env = test_e2e_daemon.ergod_env  # the fixture: temporary XDG dirs beside dunst

CONFIG = """\
[activity]
source = "x11"

[sitting]
break_after = "30s"

[breaks.stretch]
every = "8s"
duration = "3s"
grace = "30s"
repeat = "30s"

[breaks.movement]
enabled = false

[notify]
backend = "freedesktop"
timeout = "60s"
sound = "message-new-instant"
"""

PROMPT_LATENCY = 1.0  # the "within a second"
QUIET_SECONDS = 60.0


class Follower:
    """`ergod status --follow --format waybar`; each line stamped on arrival."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(ERGOD), "status", "--follow", "--format", "waybar"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), json.loads(line)))

    def next(self, timeout: float = 20.0) -> tuple[float, dict[str, Any]]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from the follower within {timeout} s") from None

    def until(self, wanted: str, timeout: float = 20.0) -> tuple[float, dict[str, Any]]:
        """The first line of class `wanted`, skipping minute lines before it."""
        deadline = time.monotonic() + timeout
        while True:
            stamp, line = self.next(max(0.1, deadline - time.monotonic()))
            if line["class"] == wanted:
                return stamp, line

    def close(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def env(tmp_path: Path, ergod_env: dict[str, str]) -> dict[str, str]:
    (tmp_path / "follow.toml").write_text(CONFIG)
    return {**ergod_env, "ERGOD_FOLLOW_RETRY_SECONDS": "0.5"}


def start_daemon(env: dict[str, str], config: Path, log: Path) -> Daemon:
    """`ergod run --config CONFIG`, logging to `log`, once its socket answers."""
    daemon = Daemon(env, "--config", str(config), log=log)
    wait_for(lambda: status(env), 20, "the control socket")
    return daemon


def run_ok(env: dict[str, str], *args: str) -> float:
    """Run `ergod ARGS`; the moment it returned (the daemon had done it)."""
    done = ergod(env, *args)
    assert done.returncode == 0, done.stderr
    return time.monotonic()


def test_pause_prompt_and_resume_each_reach_the_follower_within_a_second(
    tmp_path: Path, env: dict[str, str], notification_server: NotificationServer
) -> None:
    daemon = start_daemon(env, tmp_path / "follow.toml", tmp_path / "ergod.log")
    follower = Follower(env)
    x = [0]
    mouse = Person(lambda: mouse_move(x))
    try:
        _stamp, first = follower.next()
        # Xvfb just started: its idle time may or may not count as input yet.
        assert first["class"] in ("ok", "due", "open"), first

        paused_at = run_ok(env, "pause", "30m")
        stamp, line = follower.until("paused")
        assert stamp - paused_at <= PROMPT_LATENCY, (stamp - paused_at, line)
        assert line["text"].startswith("paused until ")

        resumed_at = run_ok(env, "resume")
        stamp, line = follower.next()
        assert stamp - resumed_at <= PROMPT_LATENCY, (stamp - resumed_at, line)
        assert line["class"] != "paused"

        with BusMonitor(env["DBUS_SESSION_BUS_ADDRESS"]) as monitor:
            mouse.present.set()  # sit: the stretch falls due 8 s after the first input
            stamp, line = follower.until("open", timeout=40)
            asked = time.monotonic()
            open_break = (status(env) or {})["open_break"]
            # The prompt came at most `since` before the status was asked for.
            latency = stamp - (asked - open_break["since_seconds"])
            assert latency <= PROMPT_LATENCY, (latency, line)
            assert line["text"] == "stretch break"
            assert "Open: stretch break" in line["tooltip"]
            hints = monitor.wait_for(bool)
            assert hints[-1]["sound-name"] == "message-new-instant"  # [notify] sound

        skipped_at = run_ok(env, "skip")
        stamp, line = follower.next()
        assert stamp - skipped_at <= PROMPT_LATENCY
        assert line["class"] == "due"  # the next stretch is 8 s away: due soon
    finally:
        mouse.close()
        follower.close()
        daemon.stop()


def test_nothing_changes_nothing_printed_and_the_follower_outlives_a_restart(
    tmp_path: Path, env: dict[str, str]
) -> None:
    config, log = tmp_path / "follow.toml", tmp_path / "ergod.log"
    daemon = start_daemon(env, config, log)
    follower = Follower(env)
    try:
        # Xvfb just started and may count as input: wait until nobody sits.
        while follower.next(timeout=90)[1]["text"] != "not sitting":
            pass
        # Nobody types and nothing is due: a minute without a single line.
        with pytest.raises(queue.Empty):
            follower.lines.get(timeout=QUIET_SECONDS)
        assert follower.proc.poll() is None
        paused_at = run_ok(env, "pause")
        stamp, line = follower.until("paused")
        assert stamp - paused_at <= PROMPT_LATENCY
        assert line["text"] == "paused"

        daemon.stop()
        _stamp, off = follower.next()
        assert (off["class"], off["text"]) == ("off", "ergod off")
        daemon = start_daemon(env, config, log)
        _stamp, back = follower.next()
        assert back["class"] != "off"
        assert not back["text"].startswith("paused")  # a new daemon, not paused
    finally:
        follower.close()
        daemon.stop()


def test_a_lost_source_reaches_the_follower(tmp_path: Path, dbus_session: str) -> None:
    """X dies: at the daemon's next question to the source (here the one a pause
    makes) it falls back to the clock, and the follower hears of it at once.

    The daemon learns of the loss only when it next asks the source (X sends
    nothing when it dies); `status` is not used, so no one else asks."""
    config = tmp_path / "follow.toml"
    slow = CONFIG.replace('every = "8s"', 'every = "10m"')  # nothing due soon
    config.write_text(slow.replace('backend = "freedesktop"', 'backend = "console"'))
    with running_xvfb_process() as (display, xvfb):
        env = private_env(
            tmp_path,
            DISPLAY=display,
            DBUS_SESSION_BUS_ADDRESS=dbus_session,
            ERGOD_REPROBE_SECONDS="600",
            ERGOD_FOLLOW_RETRY_SECONDS="0.5",
        )
        daemon = start_daemon(env, config, tmp_path / "ergod.log")
        follower = Follower(env)
        try:
            _stamp, first = follower.next()
            assert first["class"] != "schedule-only"
            stop_process(xvfb)
            run_ok(env, "pause")
            _stamp, lost = follower.until("paused")
            assert "no activity source" in lost["tooltip"]
            run_ok(env, "resume")
            _stamp, line = follower.next()
            assert line["class"] == "schedule-only"
        finally:
            follower.close()
            daemon.stop()
