"""The session's X server, as every X11 input path needs it: there, not Wayland, able.

Shared by the X11 idle source (`x11.py`), the pynput listener and its return
watch (`listener.py`) and through it the ScreenSaver source's return watch:

* `session_display(environ)`: the display name, or SourceUnavailable when
  DISPLAY is unset or the session is Wayland (XWayland sees only input to X
  applications, so the user would look idle while typing in native ones);
* `open_display(name)`: a python-xlib connection of our own;
* `require_extensions(name, extensions)`: the server has them all;
* `close_quietly(display)`: close a connection the server may have dropped.

Every failure is SourceUnavailable with a reason for people. python-xlib is
imported on first use, never at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from ergod.activity.base import SourceUnavailable


def session_display(environ: Mapping[str, str]) -> str:
    """The X display of this session; SourceUnavailable if there is none to use."""
    name = environ.get("DISPLAY", "")
    if not name:
        raise SourceUnavailable("no display (DISPLAY is not set)")
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        raise SourceUnavailable(
            "Wayland session (XWayland sees only input to X applications, "
            "so the user would look idle while typing in native ones)"
        )
    return name


def open_display(name: str) -> Any:
    """A new python-xlib connection to display `name`."""
    try:
        import Xlib.display
    except ImportError as exc:
        raise SourceUnavailable("python-xlib is not installed (pip install python-xlib)") from exc
    try:
        return Xlib.display.Display(name)
    except Exception as exc:  # DisplayNameError, DisplayConnectionError, OSError
        raise SourceUnavailable(f"cannot open X display {name} ({exc})") from exc


def close_quietly(display: Any) -> None:
    with contextlib.suppress(Exception):  # the server may have dropped the connection
        display.close()


def require_extensions(name: str, extensions: tuple[str, ...]) -> None:
    """SourceUnavailable unless the X server on `name` has all `extensions`."""
    display = open_display(name)
    try:
        missing = [ext for ext in extensions if not display.has_extension(ext)]
    finally:
        close_quietly(display)
    if missing:
        raise SourceUnavailable(f"the X server on {name} lacks the {', '.join(missing)} extension")
