"""Real servers for tests: an X server, a private D-Bus session, a notification server.

The fixtures built on these are in conftest.py; tests import helpers from here.

Contract for test authors:

* ``require_tool(name)`` returns the executable's path. When it is missing the test
  FAILS under ``CI=true`` (CI must have every tool; a silent skip would hide a broken
  runner) and is skipped with the reason otherwise.
* ``xvfb`` starts Xvfb on a free display (``-displayfd``), sets ``DISPLAY`` for the test
  and yields the display string (``":3"``).
* ``dbus_session`` starts a private ``dbus-daemon`` with a minimal config (no service
  activation, so nothing on the host gets auto-started), sets
  ``DBUS_SESSION_BUS_ADDRESS`` and yields the address.
* ``notification_server`` starts dunst on that display and bus with a predictable
  config (notifications never expire, no idle threshold, long history) and yields a
  ``NotificationServer``; ``.history()`` lists every notification dunst received,
  displayed or closed, as dicts ``{"appname", "summary", "body", "id", "closed"}``.
* ``shared_xvfb``, ``shared_dbus_session``, ``shared_notification_server``: the same,
  but the processes live for the whole test session (faster when many tests need
  them); the shared notification server's ``.history()`` only shows what arrived
  during the current test. Use the function-scoped ones when a test changes server
  state (pauses dunst, kills the bus, ...).

For tests that need their own process outside a fixture (a second server, one to
kill on purpose): the context managers ``running_xvfb(*extra_args)``,
``running_xvfb_process(*extra_args)`` (also yields the ``Popen``),
``running_dbus_session()`` and ``running_dunst(display, bus_address)``, and
``stop_process(proc)``. They do not touch the environment.

Every process is stopped when its fixture ends: terminate, wait, then kill.
Environment variables are set through ``monkeypatch`` so nothing leaks between tests;
subprocesses started by a test inherit them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 3.0

_DUNSTRC = """\
# Written by tests/conftest.py: predictable behaviour for assertions.
[global]
    history_length = 1000
    idle_threshold = 0
    notification_limit = 0
    sticky_history = true
    show_indicators = false
    startup_notification = false
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
"""

# No <servicedir>: a message to a name nobody owns fails instead of auto-starting the
# host's notification daemon with its own config.
_DBUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={socket_dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    {users}<allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# dunst -print writes one block per received notification; body may span lines.
_PRINTED = re.compile(
    r"^\{\n\tappname: '(?P<appname>.*?)'\n\tsummary: '(?P<summary>.*?)'\n"
    r"\tbody: '(?P<body>.*?)'\n\ticon: .*?\n\tid: (?P<id>\d+)\n",
    re.DOTALL | re.MULTILINE,
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(name: str) -> str:
    """Path of executable `name`; fail under CI=true, skip otherwise, when missing."""
    path = shutil.which(name)
    if path is None:
        message = f"required tool {name!r} is not installed (see scripts/apt-packages.txt)"
        if in_ci():
            pytest.fail(f"{message}; CI=true so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    return path


def stop_process(proc: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate, wait up to `timeout`, then kill: never leave a process behind."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=timeout)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _read_line(fd: int, proc: subprocess.Popen[Any], what: str) -> str:
    """One line from `fd`, or a failure naming `what` if it does not come in time."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            pytest.fail(f"{what} did not start (exit code {proc.poll()}, read {data!r})")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        if ready:
            chunk = os.read(fd, 256)
            if not chunk:
                pytest.fail(f"{what} closed its output before printing a line ({data!r})")
            data += chunk
    return data.decode().strip()


@contextlib.contextmanager
def running_xvfb_process(*extra_args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run Xvfb (plus `extra_args`) on a display it picks; yield (display, process).

    The process is for tests that must kill or inspect exactly this server.
    """
    exe = require_tool("Xvfb")
    read_fd, write_fd = os.pipe()
    command = [exe, "-displayfd", str(write_fd), "-nolisten", "tcp", "-noreset"]
    command += ["-screen", "0", "1280x800x24", *extra_args]
    proc = subprocess.Popen(
        command,
        pass_fds=(write_fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        try:
            display = ":" + _read_line(read_fd, proc, "Xvfb")
        finally:
            os.close(read_fd)
        yield display, proc
    finally:
        stop_process(proc)


@contextlib.contextmanager
def running_xvfb(*extra_args: str) -> Iterator[str]:
    """Run Xvfb (plus `extra_args`) on a display it picks; yield the display string."""
    with running_xvfb_process(*extra_args) as (display, _proc):
        yield display


@contextlib.contextmanager
def running_dbus_session(any_user: bool = False) -> Iterator[str]:
    """Run a private session bus; yield its address.

    `any_user`: clients of every uid may connect (a daemon under an
    unprivileged uid, beside dunst run by the test); by default only the
    bus's own uid may, as on a desktop.
    """
    exe = require_tool("dbus-daemon")
    with tempfile.TemporaryDirectory(prefix="ergod-dbus-") as tmp:
        # A short path: unix socket paths are limited to about 100 bytes.
        config = Path(tmp) / "session.conf"
        users = '<allow user="*"/>\n    ' if any_user else ""
        config.write_text(_DBUS_CONFIG.format(socket_dir=tmp, users=users))
        if any_user:
            Path(tmp).chmod(0o755)
        proc = subprocess.Popen(
            [exe, f"--config-file={config}", "--nofork", "--print-address"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            yield _read_line(proc.stdout.fileno(), proc, "dbus-daemon")
        finally:
            stop_process(proc)


class NotificationServer:
    """A running dunst: what it received, and a few controls for tests."""

    def __init__(self, proc: subprocess.Popen[Any], env: dict[str, str], printed: Path) -> None:
        self.proc = proc
        self.env = env
        self._printed = printed
        self._after_id = 0

    def dunstctl(self, *args: str) -> str:
        result = subprocess.run(
            ["dunstctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dunstctl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def closed(self) -> list[dict[str, Any]]:
        """Notifications in dunst's history (closed or expired), parsed from `dunstctl history`."""
        raw = json.loads(self.dunstctl("history"))
        found = []
        for entry in raw["data"][0]:
            item = {key: entry[key]["data"] for key in ("appname", "summary", "body", "id")}
            item["closed"] = True
            found.append(item)
        return found

    def history(self) -> list[dict[str, Any]]:
        """Every notification received (displayed or closed), oldest first.

        Closed ones come from `dunstctl history`; ones still on screen, which dunst
        keeps out of its history, from its `-print` log.
        """
        by_id: dict[int, dict[str, Any]] = {}
        # A notification replaced in place (replaces_id) is printed again: keep the last.
        for match in _PRINTED.finditer(self._printed.read_text(errors="replace")):
            nid = int(match["id"])
            by_id[nid] = {
                "appname": match["appname"],
                "summary": match["summary"],
                "body": match["body"],
                "id": nid,
                "closed": False,
            }
        by_id.update((item["id"], item) for item in self.closed())
        return [by_id[nid] for nid in sorted(by_id) if nid > self._after_id]

    def wait_for(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool] = bool,
        timeout: float = STARTUP_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Poll `history()` until `predicate(history)` holds; fail the test on timeout.

        The default waits for at least one notification. The timeout is a safety net
        for a broken run, not a speed assertion.
        """
        deadline = time.monotonic() + timeout
        while True:
            current = self.history()
            if predicate(current):
                return current
            if time.monotonic() > deadline:
                pytest.fail(f"notification server: condition not met; history={current!r}")
            time.sleep(0.05)

    def forget_so_far(self) -> None:
        """Hide what was received until now from `history()` (for shared servers)."""
        self._after_id = max((item["id"] for item in self.history()), default=self._after_id)

    def count(self, which: str) -> int:
        """`displayed`, `waiting` or `history` count, straight from dunst."""
        return int(self.dunstctl("count", which).strip())


@contextlib.contextmanager
def running_dunst(display: str, bus_address: str) -> Iterator[NotificationServer]:
    """Run dunst on `display` and `bus_address`; yield it once it owns its bus name."""
    exe = require_tool("dunst")
    require_tool("dunstctl")
    require_tool("dbus-send")
    env = dict(os.environ, DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=bus_address)
    with tempfile.TemporaryDirectory(prefix="ergod-dunst-") as tmp:
        config = Path(tmp) / "dunstrc"
        config.write_text(_DUNSTRC)
        printed = Path(tmp) / "printed.log"
        with printed.open("wb") as out:
            proc = subprocess.Popen(
                [exe, "-config", str(config), "-print"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
        server = NotificationServer(proc, env, printed)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"dunst exited during startup with code {proc.returncode}")
                try:
                    server.dunstctl("is-paused")
                    break
                except RuntimeError:
                    if time.monotonic() > deadline:
                        pytest.fail("dunst did not take the notification bus name in time")
                    time.sleep(0.05)
            yield server
        finally:
            stop_process(proc)
