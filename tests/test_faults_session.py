"""Faults in the desktop session under the installed `ergod run` (issue 7).

* The notification server (dunst) dies: prompts go on through the console
  fallback, each failed delivery is logged; a new dunst gets the next prompt,
  from the same process.
* The D-Bus session bus dies (and dunst with it): the same; a new bus on the
  same address and a new dunst get the next prompt (the notifier reopens its
  link at the next prompt), from the same process.

(The X server dying and coming back is tested in test_e2e_daemon.py,
`test_x_server_dying_falls_back_and_recovers`.)

The daemon runs with `[activity] source = "none"` so prompts follow the clock
(every 2 s) whatever the display does; only the notification path is at stake.
Timeouts are safety nets, never speed assertions.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_support import Daemon, outcomes, private_env, status, wait_for
from servers import _DBUS_CONFIG, require_tool, running_dunst, stop_process
from test_faults_store import fast_config

pytestmark = pytest.mark.e2e

CONFIG = '[activity]\nsource = "none"\n\n' + fast_config(2, 1, 0.5, backend="freedesktop")

# conftest's minimal bus, listening on a path instead of in a directory.
BUS_CONFIG = _DBUS_CONFIG.replace("unix:dir={socket_dir}", "unix:path={path}")


def prompts(env: dict[str, str]) -> int:
    return sum(outcomes(env).values())


def from_ergod(items: list[dict[str, Any]]) -> bool:
    return any(item["appname"] == "ergod" for item in items)


class FixedBus:
    """A private session bus on a fixed socket path, so it can die and come back
    at the address the daemon was given."""

    def __init__(self, directory: Path) -> None:
        self.socket = directory / "bus"
        self.address = f"unix:path={self.socket}"
        self._config = directory / "bus.conf"
        self._config.write_text(BUS_CONFIG.format(path=self.socket))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = require_tool("dbus-daemon")
        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [exe, f"--config-file={self._config}", "--nofork", "--print-address"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        # The address line comes once the bus listens.
        line = self.proc.stdout.readline().decode().strip()
        assert line.startswith("unix:path="), f"dbus-daemon did not start: {line!r}"

    def kill(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


@pytest.fixture
def fixed_bus() -> Iterator[FixedBus]:
    # A short path: unix socket paths are limited to about 100 bytes.
    with tempfile.TemporaryDirectory(prefix="ergod-bus-") as tmp:
        bus = FixedBus(Path(tmp))
        try:
            yield bus
        finally:
            bus.kill()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "session.toml"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize("lost", ["notification-server", "session-bus"])
def test_a_lost_notification_path_falls_back_to_the_console_and_recovers(
    tmp_path: Path, config: Path, xvfb: str, fixed_bus: FixedBus, lost: str
) -> None:
    """dunst dies, or the bus dies under it: prompts go on (console), each failed
    delivery is logged; a new bus (same address) and dunst get the next prompt."""
    fixed_bus.start()
    env = private_env(tmp_path, DISPLAY=xvfb, DBUS_SESSION_BUS_ADDRESS=fixed_bus.address)
    with (
        running_dunst(xvfb, fixed_bus.address) as first,
        Daemon(env, "--config", str(config)) as daemon,
    ):
        data = wait_for(lambda: status(env), 15, "the control socket")
        assert data["notifier"].startswith("freedesktop"), data["notifier"]
        first.wait_for(from_ergod, timeout=20)

        if lost == "session-bus":
            fixed_bus.kill()
        stop_process(first.proc)  # with the bus gone, dunst may outlive it a moment
        gone = prompts(env)
        wait_for(lambda: prompts(env) >= gone + 2, 20, f"prompts with the {lost} gone")
        assert daemon.proc.poll() is None

        if lost == "session-bus":
            fixed_bus.start()
        with running_dunst(xvfb, fixed_bus.address) as second:
            second.wait_for(from_ergod, timeout=20)
            assert (status(env) or {})["pid"] == data["pid"]
            assert daemon.stop() == 0
    out = daemon.output
    assert "notify: freedesktop could not show the prompt" in out, out
    assert "Stretch break" in out, "no prompt reached the console fallback"
