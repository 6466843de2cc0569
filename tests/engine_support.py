"""Shared helpers for the engine tests: trace strategies and the idle-first harness."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from ergod.core import (
    Effect,
    Engine,
    EventKind,
    KindRules,
    Rules,
)
from ergod.core.presence import Presence
from ergod.replay.simulation import SimulationResult, collect, simulate_pairs

Pair = tuple[float, EventKind]


@dataclass(frozen=True)
class IdleFirstRun:
    result: SimulationResult
    ticks: int
    watches: int


def run_idle_first(pairs: Sequence[Pair], rules: Rules) -> IdleFirstRun:
    """Replay a trace the way the daemon sees the world.

    The "platform" knows every input (its idle counter, like X's, also counts
    input while the screen is locked). ergod sees inputs only through idle
    answers at the moments `Presence` asks for, and through the one-shot return
    watch while it is armed.
    """
    engine = Engine(rules)
    presence = Presence(engine)
    effects: list[Effect] = []
    world_last: float = -math.inf
    armed = presence.wants_watch
    ticks = watches = 0
    end = pairs[-1][0] if pairs else 0.0

    def idle(t: float) -> float:
        return t - world_last if world_last > -math.inf else 1e9

    i = 0
    while i < len(pairs):
        wake = presence.wakeup_at()
        t, kind = pairs[i]
        if wake is not None and wake < t:
            if ticks > 100 * len(pairs) + 1000:
                raise AssertionError(f"wake-ups do not advance: {wake} {engine.view(wake)}")
            effects += presence.tick(wake, idle(wake))
            ticks += 1
        elif kind is EventKind.INPUT:
            world_last = t
            if armed:
                effects += presence.returned(t)
                watches += 1
            i += 1
        else:
            effects += presence.event(t, kind, idle(t))
            i += 1
        armed = presence.wants_watch
    effects += presence.tick(end, idle(end))
    return IdleFirstRun(collect(engine, effects), ticks, watches)


def full_run(pairs: Sequence[Pair], rules: Rules) -> SimulationResult:
    return simulate_pairs(pairs, rules)


# ---- strategies ---------------------------------------------------------


@st.composite
def kind_rules(draw: st.DrawFn, every_range: tuple[int, int]) -> KindRules:
    every = draw(st.integers(*every_range))
    duration = draw(st.integers(1, max(1, every - 1)))
    grace = draw(st.integers(0, 300))
    repeat = draw(st.integers(grace, grace + 600))
    return KindRules(
        enabled=draw(st.booleans()) or draw(st.booleans()),
        every=float(every),
        duration=float(duration),
        grace=float(grace),
        repeat=float(repeat),
        max_prompts=draw(st.integers(1, 4)),
        snooze=float(draw(st.integers(1, 400))),
        max_snoozes=draw(st.integers(0, 3)),
    )


@st.composite
def rules(draw: st.DrawFn) -> Rules:
    return Rules(
        break_after=float(draw(st.integers(5, 400))),
        presence=float(draw(st.integers(1, 120))),
        coalesce=float(draw(st.integers(0, 300))),
        catch_up=float(draw(st.integers(0, 300))),
        stretch=draw(kind_rules((30, 1500))),
        movement=draw(kind_rules((60, 2400))),
    )


_OTHER = [
    EventKind.SNOOZE,
    EventKind.SKIP,
    EventKind.LOCK,
    EventKind.UNLOCK,
    EventKind.SLEEP,
    EventKind.WAKE,
    EventKind.QUIET_START,
    EventKind.QUIET_END,
    EventKind.ATTEND_START,
    EventKind.ATTEND_END,
]
_QUIET = (EventKind.QUIET_START, EventKind.QUIET_END)
_ATTEND = (EventKind.ATTEND_START, EventKind.ATTEND_END)


@st.composite
def calls(
    draw: st.DrawFn, t: int, quiet: bool = True, attended: bool = True
) -> tuple[list[Pair], int]:
    """From `t`: a call (attended and quiet), a video (attended) or do-not-disturb
    (quiet) of up to 2.5 h, with now and then an input inside; returns the
    events and the time after them."""
    modes = [(True, True), (True, False), (False, True)]
    modes = [(a, q) for a, q in modes if (attended or not a) and (quiet or not q)]
    attend, hush = draw(st.sampled_from(modes))
    starts = [
        k for k, on in ((EventKind.ATTEND_START, attend), (EventKind.QUIET_START, hush)) if on
    ]
    ends = [k for k, on in ((EventKind.ATTEND_END, attend), (EventKind.QUIET_END, hush)) if on]
    pairs: list[Pair] = []
    for kind in draw(st.permutations(starts)):
        pairs.append((float(t), kind))
        t += 1
    end = t + draw(st.integers(0, 9000))
    for _ in range(draw(st.integers(0, 3))):
        t = draw(st.integers(t, max(t, end)))
        pairs.append((float(t), EventKind.INPUT))
        t += 1
    t = max(t, end)
    for kind in draw(st.permutations(ends)):
        pairs.append((float(t), kind))
        t += draw(st.integers(1, 200))
    return pairs, t


@st.composite
def traces(
    draw: st.DrawFn, max_segments: int = 25, quiet: bool = True, attended: bool = True
) -> list[Pair]:
    """Runs of input at various rates separated by pauses, with user and session
    events sprinkled in, and now and then a call, a video or do-not-disturb
    (`calls`). Integer times, distinct events at distinct times."""
    pairs: list[Pair] = []
    t = draw(st.integers(0, 50))
    left_out = (() if quiet else _QUIET) + (() if attended else _ATTEND)
    others = [k for k in _OTHER if k not in left_out]
    for _ in range(draw(st.integers(1, max_segments))):
        if (quiet or attended) and draw(st.integers(0, 5)) == 0:
            call, t = draw(calls(t, quiet, attended))
            pairs += call
        step = draw(st.integers(1, 100))
        count = draw(st.integers(1, 40))
        for _ in range(count):
            pairs.append((float(t), EventKind.INPUT))
            t += step
        t += draw(st.integers(0, 1500))
        if draw(st.integers(0, 3)) == 0:
            pairs.append((float(t), draw(st.sampled_from(others))))
            t += draw(st.integers(1, 300))
    return pairs
