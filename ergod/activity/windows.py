"""Windows activity: GetLastInputInfo idle time, and a pynput watch while away.

The only Windows call is `load_idle_query()`'s: everything else is
`QuerySource`, shared with X11 and macOS and tested on Linux through a fake
query. `GetLastInputInfo` gives the tick (milliseconds since boot, 32 bits) of
the session's last input; `GetTickCount64` gives now. The 32-bit tick wraps
every 49.7 days, hence the modular difference in `idle_from_ticks`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from ergod.activity.base import Clock, SourceUnavailable
from ergod.activity.listener import QuerySource, require_pynput


def idle_from_ticks(now_ms: int, last_input_ms: int) -> float:
    """Seconds between a 64-bit tick count and a (wrapped) 32-bit last-input tick."""
    return ((now_ms - last_input_ms) & 0xFFFFFFFF) / 1000.0


def load_idle_query() -> Callable[[], float]:
    """The Windows idle query, or SourceUnavailable off Windows."""
    if sys.platform == "win32":
        return _win32_query()
    raise SourceUnavailable("not running on Windows")


if sys.platform == "win32":

    def _win32_query() -> Callable[[], float]:
        import ctypes
        from ctypes import wintypes

        class LastInputInfo(ctypes.Structure):
            _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]

        user32 = ctypes.WinDLL("user32")
        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.GetTickCount64.restype = ctypes.c_ulonglong

        def query() -> float:
            info = LastInputInfo()
            info.cbSize = ctypes.sizeof(LastInputInfo)
            if not user32.GetLastInputInfo(ctypes.byref(info)):
                raise SourceUnavailable("windows: GetLastInputInfo failed")
            return idle_from_ticks(int(kernel32.GetTickCount64()), int(info.dwTime))

        return query


class WindowsSource(QuerySource):
    """Idle time from GetLastInputInfo; the return from pynput's win32 hooks."""

    def __init__(self, clock: Clock, query: Callable[[], float]) -> None:
        super().__init__("windows", clock, query)


def probe(clock: Clock, environ: Mapping[str, str]) -> WindowsSource:
    """A WindowsSource if the idle query and pynput both load here."""
    query = load_idle_query()
    require_pynput()
    return WindowsSource(clock, query)
