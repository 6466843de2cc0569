"""A generated, realistic activity pattern: work days with lunch and meetings.

`workday(seed, day)` returns the (time, event) pairs of one desk day as the
engine sees them: typing and mouse bursts at a few events per second, short
pauses to think or read, a lunch break, one or two meetings away from the
desk, an afternoon lock, weekends empty. Used by the benchmarks, the soak
test and `config/examples/workday.csv`; deterministic for a given seed.
`pause(rng)` is its pause between bursts, shared with ergod/replay/demo.py.
`call_day(seed)` is a desk day with a two-hour call (`config/examples/call-day.csv`).
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
        t = _burst(rng, t, rate, pairs)
    return pairs


def _burst(rng: random.Random, t: float, rate: float, pairs: list[Pair]) -> float:
    """Typing or mousing from `t` for 5-90 s, then a pause; returns its end."""
    burst = rng.uniform(5, 90)
    stop = t + burst
    gap = 1.0 / (rate * rng.uniform(1.2, 2.0))
    while t < stop:
        pairs.append((round(t, 3), EventKind.INPUT))
        t += gap
    return t + pause(rng)


def call_day(seed: int = 0, rate: float = 1.0) -> list[Pair]:
    """A desk day with a two-hour call from 10:00 to 12:00 (seconds from midnight).

    Desk work from about 8:30; at 10:00 a click joins the call and the daemon
    sends `quiet_start` and `attend_start` (a microphone in use); two hours
    without a key press; at 12:00 `attend_end` and `quiet_end`, a click, five
    minutes of steady typing, then desk work, a locked lunch break from 12:30
    to 13:15, and desk work until 17:00. Deterministic for a given seed.
    """
    rng = random.Random(seed)
    call, hang_up, lunch, back, end = (h * 3600 for h in (10, 12, 12.5, 13.25, 17))
    pairs: list[Pair] = []
    t = 8.5 * 3600 + rng.uniform(0, 600)
    while t < call:
        t = _burst(rng, t, rate, pairs)
    pairs = [p for p in pairs if p[0] < call]
    pairs += [
        (call, EventKind.INPUT),
        (call, EventKind.QUIET_START),
        (call, EventKind.ATTEND_START),
    ]
    pairs += [(hang_up, EventKind.ATTEND_END), (hang_up, EventKind.QUIET_END)]
    pairs += [(float(s), EventKind.INPUT) for s in range(int(hang_up), int(hang_up) + 300, 2)]
    t = hang_up + 300
    while t < lunch:
        t = _burst(rng, t, rate, pairs)
    pairs += [(round(t, 3), EventKind.LOCK), (back, EventKind.UNLOCK)]
    t = back + 2
    while t < end:
        t = _burst(rng, t, rate, pairs)
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
