"""Full screen on Wayland: the foreign-toplevel probe, against a fake list and real KWin.

The window states come from `wayland_fake.FakeCompositor` (bytes built from
wlr-foreign-toplevel-management-unstable-v1.xml): headless sway 1.7 offers the
protocol, but a `foot` window did not map on it here, so no real full-screen
window is in this suite yet. KWin 5.27 offers no such protocol, so there
full-screen detection is off and says why.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from wayland_fake import FakeCompositor
from wayland_support import running_kwin

from ergod.quiet.fullscreen import FULLSCREEN_ON, fullscreen_probe
from ergod.quiet.toplevels import MANAGER, WaylandFullscreenProbe

pytestmark = [pytest.mark.wayland, pytest.mark.e2e]


def toplevel_fake(path: Path, *states: tuple[int, ...]) -> FakeCompositor:
    """A compositor listing one window per `states` entry (the state array's values)."""
    fake = FakeCompositor(path, {MANAGER: 3, "wl_seat": 7})

    def list_windows(manager: int) -> None:
        for number, state in enumerate(states):
            handle = 0xFF000000 + number  # ids the server makes start here
            fake.send(manager, 0, "n", handle)  # toplevel
            fake.send(handle, 0, "s", "a title ergod must not keep")
            fake.send(handle, 4, "a", struct.pack(f"={len(state)}I", *state))  # state
            fake.send(handle, 5)  # done

    fake.on_bind[MANAGER] = list_windows
    return fake


@pytest.mark.parametrize(
    ("states", "answer"),
    [
        (((2, 3),), FULLSCREEN_ON),  # activated and fullscreen
        (((3,), (2,)), None),  # the full-screen window is not the focused one
        (((2,),), None),
        ((), None),
    ],
)
def test_the_focused_full_screen_window_is_quiet_time(
    tmp_path: Path, states: tuple[tuple[int, ...], ...], answer: str | None
) -> None:
    path = tmp_path / "wayland-fake"
    fake = toplevel_fake(path, *states)
    try:
        probe, what = fullscreen_probe({"WAYLAND_DISPLAY": str(path)})
        assert isinstance(probe, WaylandFullscreenProbe)
        assert what == f"Wayland {MANAGER}"
        assert probe.check() == answer
        probe.close()
    finally:
        fake.close()


def test_kwin_has_no_toplevel_list_so_full_screen_detection_is_off() -> None:
    with running_kwin() as path:
        probe, why = fullscreen_probe({"WAYLAND_DISPLAY": str(path)})
    assert probe is None
    assert why == (
        f"Wayland: the compositor does not offer {MANAGER}; X11: no X display (DISPLAY is not set)"
    )
