"""When in the day: a bout's seconds per local clock hour, and the hours where long bouts cluster.

Contract:
* `hour_pieces(start, length, zone)` splits a bout into (hour 0-23, seconds)
  pieces by the **local wall-clock hour** each second of it was lived in. It
  walks elapsed time in UTC quarter hours (every UTC offset in use, and every
  offset change, falls on one), so across a DST change the clock hour that
  repeats gets both of its hours and the skipped one gets none.
  The wall clock is `zone` when it agrees with the offset the bout's start was
  recorded in (the user's own zone, so a change inside the bout is seen where
  it happened); otherwise the start's recorded offset, for the whole bout.
* `busiest_window(counts, width)` is the run of `width` clock hours (not past
  midnight) holding the most of `counts`; ties go to the run whose first hour
  holds more (all at 13:00 is "13:00 to 15:00", not "12:00 to 14:00"), then to
  the earliest.
Pure: no clock reads, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

HOURS = 24
_QUARTER = 900.0


def wall_zone(start: datetime, zone: tzinfo | None) -> tzinfo:
    """The clock a bout from `start` is read on (see the module contract)."""
    recorded = start.tzinfo
    if recorded is None:
        raise ValueError("bout start must be timezone-aware")
    if zone is not None and start.astimezone(zone).utcoffset() == start.utcoffset():
        return zone
    return recorded


def hour_pieces(start: datetime, length: float, zone: tzinfo | None) -> Iterator[tuple[int, float]]:
    """(local hour, seconds) for each UTC quarter hour the bout touches, in order."""
    clock = wall_zone(start, zone)
    t = start.timestamp()
    end = t + length
    while t < end:
        boundary = (math.floor(t / _QUARTER) + 1) * _QUARTER
        step_end = min(end, boundary)
        yield datetime.fromtimestamp(t, clock).hour, step_end - t
        t = step_end


@dataclass(frozen=True)
class Window:
    """Clock hours `first` to `first + width` (exclusive) and what they hold."""

    first: int
    width: int
    count: int
    total: int

    @property
    def last(self) -> int:
        """The hour the window ends at, e.g. 15 for 13:00 to 15:00."""
        return self.first + self.width


def busiest_window(counts: Sequence[int], width: int = 2) -> Window | None:
    """The `width`-hour run holding the most; None when `counts` are all zero."""
    total = sum(counts)
    if total == 0:
        return None
    best = max(
        range(len(counts) - width + 1),
        key=lambda h: (sum(counts[h : h + width]), counts[h], -h),
    )
    return Window(best, width, sum(counts[best : best + width]), total)
