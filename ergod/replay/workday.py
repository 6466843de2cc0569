"""A generated, realistic activity pattern: work days with lunch and meetings.

`workday(seed, day)` returns the (time, event) pairs of one desk day as the
engine sees them: typing and mouse bursts at a few events per second, short
pauses to think or read, a lunch break, one or two meetings away from the
desk, an afternoon lock, weekends empty. Used by the benchmarks, the soak
test and `config/examples/workday.csv`; deterministic for a given seed.
`pause(rng)` is its pause between bursts, shared with ergod/replay/demo.py.
"""

from __future__ import annotations

import random

from ergod.core.model import EventKind

Pair = tuple[float, EventKind]
DAY = 86400.0
_PAUSES = (1, 2, 3, 5, 8, 15, 30, 45, 70, 120, 240)
_PAUSE_WEIGHTS = (20, 20, 15, 12, 10, 8, 6, 4, 2, 1, 0.6)


def workday(seed: int = 0, day: int = 0, rate: float = 1.0) -> list[Pair]:
    """One day's events, times in seconds from the start of day `day`.

    `rate` scales input events per second (1.0: about 30,000 inputs a day).
    Days 5 and 6 of each week are a weekend: no events.
    """
    rng = random.Random(seed * 1000 + day)
    base = day * DAY
    if day % 7 in (5, 6):
        return []
    pairs: list[Pair] = []
    t = base + 8 * 3600 + rng.uniform(0, 3600)  # arrive 8:00-9:00
    lunch = base + 12 * 3600 + rng.uniform(0, 1800)
    end = base + 17 * 3600 + rng.uniform(0, 3600)
    meetings = sorted(base + rng.uniform(9.5, 16) * 3600 for _ in range(rng.randint(1, 2)))
    locked_at = base + rng.uniform(14, 16) * 3600
    while t < end:
        if t >= lunch:
            t = lunch + rng.uniform(1800, 3600)
            lunch = float("inf")
            continue
        if meetings and t >= meetings[0]:
            t = meetings.pop(0) + rng.uniform(1200, 3600)
            continue
        if t >= locked_at:
            pairs.append((t, EventKind.LOCK))
            t += rng.uniform(300, 900)
            pairs.append((t, EventKind.UNLOCK))
            locked_at = float("inf")
            t += 2.0
            continue
        burst = rng.uniform(5, 90)  # seconds of typing or mousing
        stop = t + burst
        gap = 1.0 / (rate * rng.uniform(1.2, 2.0))
        while t < stop:
            pairs.append((round(t, 3), EventKind.INPUT))
            t += gap
        t += pause(rng)
    return pairs


def pause(rng: random.Random) -> float:
    """A pause after a burst of input: think, read, now and then stand up."""
    return float(rng.choices(_PAUSES, _PAUSE_WEIGHTS)[0])


def days(count: int, seed: int = 0, rate: float = 1.0) -> list[Pair]:
    """`count` consecutive days, day 0 a Monday."""
    out: list[Pair] = []
    for day in range(count):
        out += workday(seed, day, rate)
    return out
