"""The daemon's clock: seconds that keep counting while the machine sleeps.

The spec measures absences on a clock that runs through suspend, so a closed
laptop lid is an absence like any other. On Linux that is `CLOCK_BOOTTIME`;
where it does not exist (macOS, Windows, old kernels) ergod falls back to
`time.monotonic()`, which never goes backwards but may pause during sleep.
Only differences between readings mean anything; the zero is arbitrary.
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds on the daemon's clock; pass `now` itself where a `Clock` is wanted."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return time.clock_gettime(boottime)
        except OSError:
            pass
    return time.monotonic()
