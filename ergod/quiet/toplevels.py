"""Full screen on Wayland: is the focused window full screen? (zwlr_foreign_toplevel_manager_v1)

A quiet-time probe (`ergod.quiet.QuietProbe`) for compositors that offer the
wlroots foreign-toplevel protocol (sway, Hyprland, labwc, Wayfire, niri,
river). Each `check()` opens a connection through `wlwire`, binds the
manager, lets the compositor list its windows with their `state` arrays,
and closes: no thread, nothing held between the rare checks (a held
connection would have to read every title change to keep its socket from
filling). It answers "a window is full screen" when a window is both
`activated` (focused) and `fullscreen`, as the X11 probe asks the active
window.

The compositor also sends each window's title and app id; they are framed
and dropped unread. Compositors without the protocol (GNOME, KDE Plasma)
leave full-screen detection to the X11 probe, which sees XWayland windows
only; `fullscreen_off_reason()` says so for `ergod doctor`.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping

from ergod.activity import wlwire
from ergod.quiet.base import HeldConnectionProbe
from ergod.reasons import FULLSCREEN_ON

MANAGER = "zwlr_foreign_toplevel_manager_v1"
HANDLE = "zwlr_foreign_toplevel_handle_v1"
ACTIVATED, FULLSCREEN = 2, 3  # zwlr_foreign_toplevel_handle_v1.state values
_STATE_EVENT = 4
_TOPLEVEL_EVENT = 0


def wayland_fullscreen_unavailable(environ: Mapping[str, str]) -> str | None:
    """Why a WaylandFullscreenProbe cannot work in this session, or None if it can."""
    try:
        path = wlwire.socket_path(environ)
        conn = wlwire.Connection.connect(path)
    except wlwire.WireError as exc:
        return str(exc)
    try:
        _, globals_ = conn.registry()
    except wlwire.WireError as exc:
        return f"the compositor did not answer ({exc})"
    finally:
        conn.close()
    if MANAGER not in globals_:
        return f"the compositor does not offer {MANAGER}"
    return None


def probe_wayland_fullscreen(
    environ: Mapping[str, str], log: logging.Logger | None = None
) -> tuple[WaylandFullscreenProbe | None, str | None]:
    """A probe for this session's compositor, or None and the reason."""
    why = wayland_fullscreen_unavailable(environ)
    if why is not None:
        return None, why
    return WaylandFullscreenProbe(environ, log), None


def fullscreen_focused(conn: wlwire.Connection) -> bool:
    """Ask the compositor on `conn` whether the focused window is full screen."""
    registry, globals_ = conn.registry()
    entry = globals_.get(MANAGER)
    if entry is None:
        raise wlwire.WireError(f"the compositor no longer offers {MANAGER}")
    manager = conn.bind(registry, entry, min(entry.version, 3))
    states: dict[int, set[int]] = {}
    # The first round trip announces the windows, the second their states.
    for _ in range(2):
        for event in conn.roundtrip():
            if event.object_id == manager and event.opcode == _TOPLEVEL_EVENT:
                (handle,) = event.decode("n")
                conn.interfaces[int(handle)] = HANDLE  # type: ignore[call-overload]
                states[int(handle)] = set()  # type: ignore[call-overload]
            elif event.object_id in states and event.opcode == _STATE_EVENT:
                (array,) = event.decode("a")
                data = bytes(array)  # type: ignore[call-overload]
                states[event.object_id] = set(struct.unpack(f"={len(data) // 4}I", data))
    return any({ACTIVATED, FULLSCREEN} <= state for state in states.values())


class WaylandFullscreenProbe(HeldConnectionProbe):
    """Quiet while the focused Wayland window is full screen (see the module doc)."""

    name = "fullscreen"
    reason = FULLSCREEN_ON

    def __init__(self, environ: Mapping[str, str], log: logging.Logger | None = None) -> None:
        super().__init__(log)
        self._path = wlwire.socket_path(environ)

    def _ask(self) -> bool:
        conn = wlwire.Connection.connect(self._path)
        try:
            return fullscreen_focused(conn)
        finally:
            conn.close()

    def _drop(self) -> None:
        pass  # nothing is held between checks
