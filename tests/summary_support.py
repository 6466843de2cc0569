"""Independent figures for the summary tests: what `ergod summary --format json` must
say about sitting, computed by plain code from simulated bouts, not by ergod.summary.

Bouts are given as (epoch start, length) pairs; `zone` is the user's time zone.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from typing import Any

LONG = 30 * 60


def by_hour(bouts: list[tuple[float, float]], zone: tzinfo) -> list[float]:
    """Seconds per local wall-clock hour, walking each bout a second at a time."""
    hours = [0.0] * 24
    for start, length in bouts:
        t, end = start, start + length
        while t < end:
            step = min(end, math.floor(t) + 1)
            hours[datetime.fromtimestamp(t, zone).hour] += step - t
            t = step
    return hours


def movement_figures(bouts: list[tuple[float, float]], zone: tzinfo) -> dict[str, Any]:
    """The sitting fields issue 13 added, for one week's bouts."""
    total = sum(length for _, length in bouts)
    long = [(start, length) for start, length in bouts if length > LONG]
    active = {datetime.fromtimestamp(start, zone).date() for start, _ in bouts}
    starts = [0] * 24
    for start, _ in long:
        starts[datetime.fromtimestamp(start, zone).hour] += 1
    return {
        "long_share": sum(length for _, length in long) / total if total else None,
        "days_active": len(active),
        "per_active_day_s": total / len(active) if active else None,
        "by_hour": by_hour(bouts, zone),
        "long_by_hour": by_hour(long, zone),
        "long_starts_by_hour": starts,
    }
