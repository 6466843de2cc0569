"""Quiet while a window is full screen on an X11 display (EWMH)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from ergod.quiet.base import HeldConnectionProbe, QuietProbe
from ergod.reasons import FULLSCREEN_ON

__all__ = ["FULLSCREEN_ON", "FullscreenProbe", "fullscreen_probe", "fullscreen_unavailable"]


def fullscreen_unavailable(environ: Mapping[str, str]) -> str | None:
    """Why a FullscreenProbe cannot work in this session, or None if it can."""
    display = environ.get("DISPLAY", "")
    if not display:
        return "no X display (DISPLAY is not set)"
    try:
        import Xlib.display
    except ImportError:
        return "python-xlib is not installed"
    try:
        Xlib.display.Display(display).close()
    except Exception as exc:  # DisplayNameError, DisplayConnectionError, OSError
        return f"cannot open X display {display} ({exc})"
    return None


def fullscreen_probe(
    environ: Mapping[str, str], log: logging.Logger | None = None
) -> tuple[QuietProbe | None, str]:
    """The best full-screen probe here (Wayland's foreign-toplevel list, else X11), with
    what it reads; or None and why full-screen detection is off."""
    from ergod.quiet.toplevels import MANAGER, probe_wayland_fullscreen

    wayland, wayland_why = probe_wayland_fullscreen(environ, log)
    if wayland is not None:
        return wayland, f"Wayland {MANAGER}"
    why = fullscreen_unavailable(environ)
    if why is None:
        return FullscreenProbe(environ["DISPLAY"], log), "X11 _NET_WM_STATE"
    return None, f"Wayland: {wayland_why}; X11: {why}"


class FullscreenProbe(HeldConnectionProbe):
    """Quiet while a window is fullscreen on an X11 display (EWMH).

    Asks the window manager's `_NET_ACTIVE_WINDOW` on the root window; when
    the WM does not set that property at all (no EWMH WM), every viewable
    top-level window is asked instead. A window counts when its
    `_NET_WM_STATE` holds `_NET_WM_STATE_FULLSCREEN`. Under Wayland this sees
    only XWayland windows. One X connection, opened on first use and reopened
    after the server drops it; python-xlib is imported then, not at import.
    """

    name = "fullscreen"
    reason = FULLSCREEN_ON

    def __init__(self, display: str, log: logging.Logger | None = None) -> None:
        super().__init__(log)
        self._display_name = display
        self._display: Any = None
        self._atoms: dict[str, int] = {}

    def _drop(self) -> None:
        display, self._display = self._display, None
        self._atoms = {}
        if display is not None:
            with contextlib.suppress(Exception):  # the server may be gone already
                display.close()

    def _connect(self) -> Any:
        if self._display is None:
            import Xlib.display

            display = Xlib.display.Display(self._display_name)
            self._atoms = {
                name: display.intern_atom(name)
                for name in ("_NET_ACTIVE_WINDOW", "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
            }
            self._display = display
        return self._display

    def _ask(self) -> bool:
        from Xlib import X, Xatom
        from Xlib.error import BadDrawable, BadWindow

        display = self._connect()
        root = display.screen().root
        active = root.get_full_property(self._atoms["_NET_ACTIVE_WINDOW"], Xatom.WINDOW)
        if active is not None:
            ids = [int(w) for w in active.value[:1] if w]
            windows = [display.create_resource_object("window", w) for w in ids]
        else:
            windows = []
            for window in root.query_tree().children:
                # A window may vanish between the listing and the question.
                with contextlib.suppress(BadWindow, BadDrawable):
                    if window.get_attributes().map_state == X.IsViewable:
                        windows.append(window)
        wanted = self._atoms["_NET_WM_STATE_FULLSCREEN"]
        for window in windows:
            try:
                state = window.get_full_property(self._atoms["_NET_WM_STATE"], Xatom.ATOM)
            except (BadWindow, BadDrawable):
                continue
            if state is not None and wanted in state.value:
                return True
        return False


# ---- do not disturb ----------------------------------------------------------
