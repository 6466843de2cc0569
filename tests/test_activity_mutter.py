"""The gnome source against a real headless Mutter 43 on a private session bus.

`mutter --headless --virtual-monitor 800x600 --wayland --no-x11` serves
org.gnome.Mutter.IdleMonitor on the test's own bus. With
`MUTTER_DEBUG_RESET_IDLETIME=1` its `ResetIdletime` method (what
gnome-settings-daemon's tests use) stands in for a person: it restarts the
idle time and fires user-active watches like real input. The same Mutter's
Wayland socket is the real compositor without any idle protocol.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import require_tool, running_dbus_session, stop_process

from ergod.activity import gnome, select_source, wayland
from ergod.activity.base import SourceUnavailable
from ergod.daemon.clock import now
from ergod.dbus import BusLink

pytestmark = [pytest.mark.wayland, pytest.mark.dbus, pytest.mark.e2e]

SAFETY = 30.0


@contextlib.contextmanager
def running_mutter() -> Iterator[tuple[str, Path]]:
    """A private bus address and Mutter's Wayland socket on it."""
    exe = require_tool("mutter")
    with running_dbus_session() as address, tempfile.TemporaryDirectory() as tmp:
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
            deadline = time.monotonic() + SAFETY
            while not _owned(address, gnome.BUS_NAME):
                assert proc.poll() is None, (runtime / "mutter.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "Mutter's IdleMonitor never appeared"
                time.sleep(0.1)
            yield address, runtime / "mutter-test"
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
    from jeepney import DBusAddress, new_method_call

    target = DBusAddress(gnome.OBJECT_PATH, bus_name=gnome.BUS_NAME, interface=gnome.INTERFACE)
    link = BusLink.open(address)
    try:
        link.call(new_method_call(target, "ResetIdletime"))
    finally:
        link.close()


@pytest.fixture(scope="module")
def mutter() -> Iterator[tuple[str, Path]]:
    with running_mutter() as found:
        yield found


def test_auto_picks_gnome_on_mutter_and_measures_idle_and_return(
    mutter: tuple[str, Path],
) -> None:
    address, _ = mutter
    choice = select_source("auto", now, {"DBUS_SESSION_BUS_ADDRESS": address}, platform="linux")
    assert choice.name == "gnome" and choice.protocol == "org.gnome.Mutter.IdleMonitor"
    source = choice.source
    assert source is not None
    source.start()
    try:
        reset_from = now()
        reset_idletime(address)
        reset_to = now()
        time.sleep(1.0)
        idle = source.idle_seconds()
        last_input = now() - idle
        assert reset_from - 0.05 <= last_input <= reset_to + 0.05
        fired: list[float] = []
        source.watch_return(fired.append)
        time.sleep(0.3)
        assert fired == []
        back_from = now()
        reset_idletime(address)
        deadline = time.monotonic() + SAFETY
        while not fired:
            assert time.monotonic() < deadline, "WatchFired never came"
            time.sleep(0.02)
        assert fired[0] >= back_from
        assert source.idle_seconds() < 1.0
    finally:
        source.stop()


def test_cinnamon_is_not_mutter(mutter: tuple[str, Path]) -> None:
    address, _ = mutter
    with pytest.raises(SourceUnavailable, match=r"org\.cinnamon\.Muffin\.IdleMonitor"):
        select_source("cinnamon", now, {"DBUS_SESSION_BUS_ADDRESS": address})


def test_mutters_wayland_socket_offers_no_idle_protocol(mutter: tuple[str, Path]) -> None:
    _, socket_path = mutter
    with pytest.raises(SourceUnavailable) as raised:
        wayland.probe(now, {"WAYLAND_DISPLAY": str(socket_path)})
    assert str(raised.value).startswith(
        "the compositor offers no idle protocol (neither ext_idle_notifier_v1 nor "
        "org_kde_kwin_idle); on GNOME the gnome source reads Mutter's IdleMonitor instead"
    )
