"""Helpers for the login-start, doctor, metrics and packaging tests (no tests here).

`private_env(tmp_path)` is an environment for a subprocess of the installed
`ergod` that sees nothing of this machine's user: its own XDG directories and
system directory, no display, no session bus, no systemd notify socket. `wait_for_daemon` waits
until a started `ergod run` answers on its control socket.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ERGOD = Path(sys.executable).with_name("ergod")
REPO = Path(__file__).resolve().parent.parent

_DESKTOP_VARIABLES = (
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "JOURNAL_STREAM",
)


def private_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DESKTOP_VARIABLES}
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        directory = tmp_path / name.lower()
        directory.mkdir(mode=0o700, exist_ok=True)
        env[name] = str(directory)
    env["ERGOD_SYSTEM_DIR"] = str(tmp_path / "etc")
    return env


def ergod(env: dict[str, str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The installed `ergod ARGS`, output captured."""
    return subprocess.run(
        [str(ERGOD), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_for_daemon(env: dict[str, str], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ergod run exited: {proc.communicate()[1]}")
        if ergod(env, "status").returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("ergod run did not answer on its control socket")
