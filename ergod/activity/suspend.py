"""Suspend detection from the clocks alone, for when no logind signal came.

`CLOCK_BOOTTIME` keeps counting while the machine is suspended and
`CLOCK_MONOTONIC` does not; both are slewed alike by NTP, so their gap grows
by exactly the time spent suspended and by nothing else. The daemon feeds a
`SuspendDetector` one `(boottime, monotonic)` pair per wakeup (`read_clocks()`
reads one); when the gap grew by more than `tolerance` since the previous
pair, `observe()` returns a `Suspend`.

Where the suspend lies between two readings is not knowable from the clocks.
We place it at the end: `end` is the boottime of the reading that noticed it
and `start = end - length`. That is exact when the daemon wakes right at
resume, which is what happens in practice: its overdue timers fire then.
It never reports a suspend before the previous reading.

Times are on the daemon's clock (`ergod.daemon.clock.now`, which is CLOCK_BOOTTIME).
Pure: no threads, no I/O except the clock read in `read_clocks()`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ergod.daemon.clock import now

DEFAULT_TOLERANCE = 2.0


@dataclass(frozen=True)
class ClockReading:
    """Both clocks read back to back, in seconds."""

    boottime: float
    monotonic: float

    @property
    def gap(self) -> float:
        return self.boottime - self.monotonic


@dataclass(frozen=True)
class Suspend:
    """A suspend seen in the clocks; times on the boottime clock, in seconds."""

    start: float
    end: float
    length: float


def read_clocks() -> ClockReading:
    """The daemon's clock (`CLOCK_BOOTTIME`) and `CLOCK_MONOTONIC`, read back to back.

    Where the daemon's clock falls back to monotonic (no CLOCK_BOOTTIME), the
    gap stays 0 and no suspend is ever detected: logind is then the only
    source of sleep and wake.
    """
    return ClockReading(boottime=now(), monotonic=time.monotonic())


class SuspendDetector:
    """Compares each reading's clock gap with the previous one's."""

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE) -> None:
        if tolerance <= 0:
            raise ValueError("tolerance must be positive")
        self._tolerance = tolerance
        self._last: ClockReading | None = None

    def observe(self, reading: ClockReading) -> Suspend | None:
        """The suspend since the previous reading, if the gap grew past tolerance."""
        last, self._last = self._last, reading
        if last is None:
            return None
        length = reading.gap - last.gap
        if length <= self._tolerance:
            # Growth below tolerance is read jitter; a shrinking gap cannot be a
            # suspend, and the new reading becomes the baseline either way.
            return None
        return Suspend(start=reading.boottime - length, end=reading.boottime, length=length)
