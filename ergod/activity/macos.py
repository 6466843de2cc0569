"""macOS activity: Quartz's seconds since the last input, and a pynput watch while away.

The only macOS calls are in `load_idle_query()` and `accessibility_trusted()`;
everything else is `QuerySource`, shared with X11 and Windows and tested on
Linux through a fake query. The idle time needs no permission; pynput's
listener sees nothing until the user grants ergod Accessibility (Input
Monitoring), so the probe checks that first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from ergod.activity.base import Clock, SourceUnavailable
from ergod.activity.listener import QuerySource, require_pynput

_FRAMEWORK = "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"
_COMBINED_SESSION_STATE = 0  # kCGEventSourceStateCombinedSessionState
_ANY_INPUT_EVENT = 0xFFFFFFFF  # kCGAnyInputEventType


def load_idle_query() -> Callable[[], float]:
    """The Quartz idle query, or SourceUnavailable off macOS."""
    if sys.platform == "darwin":
        return _quartz_query()
    raise SourceUnavailable("not running on macOS")


def accessibility_trusted() -> bool:
    """Whether macOS lets this process watch input (AXIsProcessTrusted)."""
    if sys.platform == "darwin":
        return _ax_trusted()
    return False


if sys.platform == "darwin":

    def _quartz_query() -> Callable[[], float]:
        import ctypes

        services = ctypes.CDLL(_FRAMEWORK)
        seconds_since = services.CGEventSourceSecondsSinceLastEventType
        seconds_since.restype = ctypes.c_double
        seconds_since.argtypes = [ctypes.c_int32, ctypes.c_uint32]

        def query() -> float:
            return float(seconds_since(_COMBINED_SESSION_STATE, _ANY_INPUT_EVENT))

        return query

    def _ax_trusted() -> bool:
        import ctypes

        services = ctypes.CDLL(_FRAMEWORK)
        services.AXIsProcessTrusted.restype = ctypes.c_bool
        return bool(services.AXIsProcessTrusted())


class MacOSSource(QuerySource):
    """Idle time from CGEventSourceSecondsSinceLastEventType; the return from pynput."""

    def __init__(self, clock: Clock, query: Callable[[], float]) -> None:
        super().__init__("macos", clock, query)


def probe(clock: Clock, environ: Mapping[str, str]) -> MacOSSource:
    """A MacOSSource if the idle query loads and ergod may watch input."""
    query = load_idle_query()
    require_pynput()
    if not accessibility_trusted():
        raise SourceUnavailable(
            "ergod may not watch input: allow it in System Settings > Privacy & Security "
            "> Accessibility (and Input Monitoring)"
        )
    return MacOSSource(clock, query)
