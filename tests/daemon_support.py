"""The installed `ergod` as a user runs it: shared by the end-to-end tests.

* `ergod(env, *args)` runs one command; `status(env)` is `ergod status --json`
  parsed (None while no daemon answers); `outcomes(env)` counts today's
  outcomes as `{"stretch:taken": 1}`.
* `Daemon(env, *args)` runs `ergod run ARGS` in the background; `stop()` sends
  SIGTERM and keeps its output; as a context manager it fails the test on a
  traceback in that output.
* `private_env(tmp_path)` is the environment of a user with no display, no bus
  and private XDG directories.
* `wait_for(check, timeout, what)` polls until `check()` is true.
* `Person(act)` plays a user at the desk: calls `act()` (an xdotool move, a
  wtype key) every quarter second while `present` is set.
* `stored(env)` reads what the daemon kept in its SQLite store.

Each takes `runner`, a command prefix (`setpriv --reuid ...`) for a daemon
that must run as another user, as on a Wayland compositor that refuses root.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from servers import stop_process

ERGOD = Path(sys.executable).with_name("ergod")
COMMAND_TIMEOUT = 20.0


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last answer: {last!r}")


def ergod(
    env: dict[str, str], *args: str, runner: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*runner, str(ERGOD), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def status(env: dict[str, str], runner: Sequence[str] = ()) -> dict[str, Any] | None:
    done = ergod(env, "status", "--json", runner=runner)
    if done.returncode != 0:
        return None
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def outcomes(env: dict[str, str], runner: Sequence[str] = ()) -> dict[str, int]:
    data = status(env, runner) or {}
    return {f"{d['kind']}:{d['outcome']}": d["count"] for d in data.get("today", [])}


class Daemon:
    """`ergod run ARGS` in the background; `stop()` sends SIGTERM and keeps its output.

    With `log`, the output goes to that file, which `read()` shows while it runs.
    """

    def __init__(
        self,
        env: dict[str, str],
        *args: str,
        runner: Sequence[str] = (),
        log: Path | None = None,
    ) -> None:
        self._log = log
        out = log.open("w") if log is not None else None
        self.proc = subprocess.Popen(
            [*runner, str(ERGOD), "run", *args],
            env=env,
            stdout=out or subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if out is not None:
            out.close()
        self.output = ""

    def read(self) -> str:
        """The output so far (with `log`), else ""."""
        return self._log.read_text(errors="replace") if self._log is not None else ""

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            output, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            stop_process(self.proc)
            output, _ = self.proc.communicate()
        self.output = self.read() if self._log is not None else output
        return self.proc.returncode

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        assert "Traceback" not in self.output, self.output


def private_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY", "NOTIFY_SOCKET")
    }
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        directory = tmp_path / name.lower()
        directory.mkdir(mode=0o700, exist_ok=True)
        env[name] = str(directory)
    env["ERGOD_SYSTEM_DIR"] = str(tmp_path / "etc")
    env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-system-bus"
    env.update(extra)
    return env


class Person:
    """A user at the desk: `act()` every quarter second while `present` is set."""

    def __init__(self, act: Callable[[], object]) -> None:
        self.present = threading.Event()
        self._act = act
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            if self.present.is_set():
                self._act()
            time.sleep(0.25)

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)


def stored(env: dict[str, str]) -> dict[str, Any]:
    """The store's breaks `(kind, outcome, exercise)`, daemon events and activity
    span count, after an integrity check; read only (the daemon has stopped)."""
    db = Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        breaks = conn.execute("SELECT kind, outcome, exercise FROM breaks ORDER BY due_utc")
        return {
            "breaks": [tuple(row) for row in breaks.fetchall()],
            "events": [e for (e,) in conn.execute("SELECT event FROM daemon_events")],
            "spans": conn.execute("SELECT count(*) FROM activity").fetchone()[0],
        }
