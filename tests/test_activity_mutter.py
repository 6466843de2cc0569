"""The gnome source against a real headless Mutter 43 on a private session bus.

`mutter --headless --virtual-monitor 800x600 --wayland --no-x11` serves
org.gnome.Mutter.IdleMonitor on the test's own bus. With
`MUTTER_DEBUG_RESET_IDLETIME=1` its `ResetIdletime` method (what
gnome-settings-daemon's tests use) stands in for a person: it restarts the
idle time and fires user-active watches like real input. The same Mutter's
Wayland socket is the real compositor without any idle protocol.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import running_dbus_session
from wayland_support import reset_idletime, running_mutter

from ergod.activity import select_source, wayland
from ergod.activity.base import SourceUnavailable
from ergod.daemon.clock import now

pytestmark = [pytest.mark.wayland, pytest.mark.dbus, pytest.mark.e2e]

SAFETY = 30.0


@pytest.fixture(scope="module")
def mutter() -> Iterator[tuple[str, Path]]:
    with running_dbus_session() as address, running_mutter(address) as socket:
        yield address, socket


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
