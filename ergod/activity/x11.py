"""X11 activity: the server's idle time, and an XRecord watch while the user is away.

`X11Source` asks the X server for the time since the last input (the
MIT-SCREEN-SAVER extension, through python-xlib) only when the daemon asks
`idle_seconds()`; nothing runs between questions. While an absence is in
progress, `watch_return()` starts a one-shot XRecord watch
(`xrecord.RecordWatch`) that reports the first keyboard or mouse event and
stops. So the cost is a few queries per break threshold while the user works,
whatever the input rate.

The idle query uses a connection of its own, guarded by a lock (python-xlib
displays are not thread-safe); the return watch opens its own two. Losing the
server turns the next `idle_seconds()` into SourceUnavailable, never a hang.

Known limit: the server also restarts its idle time on a screensaver reset
(XResetScreenSaver, `xdg-screensaver reset`, what video players call while
playing), so during such playback the user looks present to the idle query.
The return watch is not affected: it sees only real keyboard and mouse events.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ergod.activity.base import Clock, SourceUnavailable
from ergod.activity.listener import QuerySource
from ergod.activity.xserver import (
    close_quietly,
    open_display,
    require_extensions,
    session_display,
)

REQUIRED_EXTENSIONS = ("MIT-SCREEN-SAVER", "RECORD")
"""MIT-SCREEN-SAVER answers the idle time; RECORD feeds the return watch."""


class X11Source(QuerySource):
    """Idle time from MIT-SCREEN-SAVER; the return from a one-shot XRecord watch."""

    def __init__(self, clock: Clock, display_name: str) -> None:
        super().__init__("x11", clock, self._query_idle, watch_display=display_name)
        self._display_name = display_name
        self._lock = threading.Lock()
        self._display: Any = None

    def start(self) -> None:
        display = open_display(self._display_name)
        with self._lock:
            self._display = display

    def stop(self) -> None:
        super().stop()
        with self._lock:
            display, self._display = self._display, None
        if display is not None:
            close_quietly(display)

    def _query_idle(self) -> float:
        with self._lock:
            if self._display is None:
                raise SourceUnavailable("x11: not started, or the X server went away")
            try:
                info = self._display.screen().root.screensaver_query_info()
            except Exception as exc:  # ConnectionClosedError, XError, OSError
                lost, self._display = self._display, None
                close_quietly(lost)
                raise SourceUnavailable(
                    f"x11: lost the X server on {self._display_name} ({type(exc).__name__})"
                ) from exc
        return float(info.idle) / 1000.0


def probe(clock: Clock, environ: Mapping[str, str]) -> X11Source:
    """An unstarted X11Source if this session's X server can serve one."""
    display_name = session_display(environ)
    require_extensions(display_name, REQUIRED_EXTENSIONS)
    return X11Source(clock, display_name)
