"""Real Wayland compositors for the tests: headless sway under an unprivileged uid, KWin.

* `running_sway()` starts sway 1.7 (`WLR_BACKENDS=headless`, pixman, no input
  devices) as the `nobody` uid with its own `XDG_RUNTIME_DIR` (0700, owned by
  it): sway refuses to run as root. `Sway.run(argv)` runs a client as that uid
  in that session (`wtype`, `swaymsg`); `Sway.child(script)` starts a Python
  child there that imports the installed ergod and talks JSON lines.
* `running_mutter(address)` starts headless Mutter 43 on a private bus;
  `reset_idletime(address)` stands in for a person there.
* `running_kwin()` starts `kwin_wayland --virtual` 5.27 (root is fine for
  KWin). Debian ships the binary with file capabilities, which this container
  may not grant, and KWin loads its own Qt platform only when its file name
  ends in `kwin_wayland`: so a copy without capabilities, under that name,
  runs. `KWIN_WAYLAND_NO_PERMISSION_CHECKS=1` exposes
  `org_kde_kwin_fake_input`, which `kwin_pointer_nudge()` uses as the person.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servers import require_tool, stop_process

from ergod.activity import gnome, wlwire
from ergod.dbus import BusLink

UID = GID = 65534  # nobody / nogroup: present on every Debian system
START_TIMEOUT = 20.0
REPLY_TIMEOUT = 20.0

SWAY_CONFIG = """\
output HEADLESS-1 resolution 800x600
"""


def wait_for_socket(path: Path, proc: subprocess.Popen[Any], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not create {path} (exit {proc.poll()})")
        time.sleep(0.05)


class Child:
    """A Python child in the compositor's session that answers JSON lines.

    A thread reads its stdout into a queue: select() on a buffered pipe would
    miss a line already read into the buffer along with the one before it.
    """

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def send(self, **command: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def receive(self, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line:
            err = (
                self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
            )
            raise AssertionError(f"the child said nothing (exit {self.proc.poll()}): {err}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, **command: object) -> dict[str, Any]:
        self.send(**command)
        return self.receive()


@dataclass
class Sway:
    runtime: Path
    display: str
    proc: subprocess.Popen[str]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.runtime),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "WAYLAND_DISPLAY": self.display,
            **extra,
        }

    def run(self, *argv: str) -> None:
        subprocess.run(as_user(argv), env=self.env(), check=True, timeout=30, capture_output=True)

    def child(self, script: str, *args: str, **env: str) -> Child:
        path = self.runtime / "child.py"
        path.write_text(script)
        os.chown(path, UID, GID)
        proc = subprocess.Popen(
            as_user((sys.executable, str(path), *args)),
            env=self.env(**env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.runtime,
        )
        return Child(proc)


def as_user(argv: tuple[str, ...] | list[str]) -> list[str]:
    setpriv = require_tool("setpriv")
    return [setpriv, f"--reuid={UID}", f"--regid={GID}", "--clear-groups", *argv]


@contextlib.contextmanager
def user_runtime_dir() -> Iterator[Path]:
    """A fresh XDG_RUNTIME_DIR owned by the test uid, mode 0700."""
    path = Path(tempfile.mkdtemp(prefix="ergod-wl-"))
    try:
        os.chown(path, UID, GID)
        path.chmod(0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def running_sway() -> Iterator[Sway]:
    with user_runtime_dir() as runtime, sway_in(runtime) as sway:
        yield sway


@contextlib.contextmanager
def sway_in(runtime: Path) -> Iterator[Sway]:
    """Sway in an existing runtime directory: a second one after the first died
    takes over its socket name (`wayland-1`), as a restarted session would."""
    sway = require_tool("sway")
    # A killed sway leaves its socket behind: wait for the new one, not that.
    (runtime / "wayland-1").unlink(missing_ok=True)
    config = runtime / "sway.config"
    config.write_text(SWAY_CONFIG)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    log = (runtime / "sway.log").open("a")
    proc = subprocess.Popen(
        as_user((sway, "-c", str(config))),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=runtime,
    )
    try:
        wait_for_socket(runtime / "wayland-1", proc, "sway")
        yield Sway(runtime, "wayland-1", proc)
    finally:
        stop_process(proc)
        log.close()


@contextlib.contextmanager
def running_kwin() -> Iterator[Path]:
    """KWin's socket path (absolute, usable as WAYLAND_DISPLAY)."""
    original = require_tool("kwin_wayland")
    with tempfile.TemporaryDirectory(prefix="ergod-kwin-") as tmp:
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        binary = Path(tmp) / "bin" / "kwin_wayland"
        binary.parent.mkdir()
        shutil.copy(original, binary)  # a copy carries no file capabilities
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "XDG_RUNTIME_DIR": str(runtime),
            "KWIN_WAYLAND_NO_PERMISSION_CHECKS": "1",
        }
        log = (Path(tmp) / "kwin.log").open("w")
        proc = subprocess.Popen(
            [
                str(binary),
                "--virtual",
                "--socket",
                "kwin-test",
                "--no-lockscreen",
                "--no-global-shortcuts",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
        try:
            wait_for_socket(runtime / "kwin-test", proc, "kwin_wayland")
            yield runtime / "kwin-test"
        finally:
            stop_process(proc)
            log.close()


def kwin_pointer_nudge(socket: Path) -> None:
    """One relative pointer motion through org_kde_kwin_fake_input: a person's input."""
    conn = wlwire.Connection.connect(socket)
    try:
        registry, globals_ = conn.registry()
        entry = globals_["org_kde_kwin_fake_input"]
        fake = conn.bind(registry, entry, min(entry.version, 4))
        conn.send(fake, 0, "ss", "ergod tests", "stands in for a person")  # authenticate
        conn.send(fake, 1, "ff", 3.0, 2.0)  # pointer_motion
        conn.roundtrip()
    finally:
        conn.close()


@contextlib.contextmanager
def running_mutter(address: str) -> Iterator[Path]:
    """Headless Mutter on the bus at `address`; yields its Wayland socket once
    its IdleMonitor is on the bus. `MUTTER_DEBUG_RESET_IDLETIME=1` lets
    `reset_idletime()` stand in for a person."""
    exe = require_tool("mutter")
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Path(tmp)
        runtime.chmod(0o700)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "XDG_RUNTIME_DIR": tmp,
            "DBUS_SESSION_BUS_ADDRESS": address,
            "MUTTER_DEBUG_RESET_IDLETIME": "1",
        }
        log = (runtime / "mutter.log").open("w")
        proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--virtual-monitor",
                "800x600",
                "--wayland",
                "--no-x11",
                "--wayland-display=mutter-test",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _owned(address, gnome.BUS_NAME):
                assert proc.poll() is None, (runtime / "mutter.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "Mutter's IdleMonitor never appeared"
                time.sleep(0.1)
            yield runtime / "mutter-test"
        finally:
            stop_process(proc)
            log.close()


def _owned(address: str, name: str) -> bool:
    from jeepney.bus_messages import message_bus

    link = BusLink.open(address)
    try:
        (owned,) = link.call(message_bus.NameHasOwner(name))
    finally:
        link.close()
    return bool(owned)


def reset_idletime(address: str) -> None:
    """Mutter's ResetIdletime: idle time restarts and user-active watches fire, as on input."""
    from jeepney import DBusAddress, new_method_call

    target = DBusAddress(gnome.OBJECT_PATH, bus_name=gnome.BUS_NAME, interface=gnome.INTERFACE)
    link = BusLink.open(address)
    try:
        link.call(new_method_call(target, "ResetIdletime"))
    finally:
        link.close()
