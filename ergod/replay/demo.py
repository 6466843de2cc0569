"""A demo a newcomer believes: generated weeks of varied, plausible desk days.

Contract:
* `demo_days(weeks, seed)` returns `7 * weeks` days, day 0 a Monday, each a
  list of (seconds from local midnight, event): **wall-clock** times, so 8:30
  is 30600 on every day; the caller puts each day on its local date
  (ergod.summary.replay.day_trace). Every event falls between 07:00 and 20:00,
  far from a night-time DST change. Deterministic for a seed.
* Each day is planned (`DayPlan`): arrival 07:30 to 09:30, home 16:30 to 18:30
  (Fridays 14:30 to 16:00), lunch away from the desk, up to two meetings away
  from it, some weeks one long call at the desk (90 to 150 min, the mouse
  nudged now and then, so it is sitting), some weeks a day off, now and then
  half an hour of email on a Saturday. The newest week always has a day off
  and a long call.
* The person gets better at getting up, week by week: more often they stand
  up on their own before 30 minutes of sitting, and more often they answer a
  movement break (stand up for 3 to 7 minutes once they have sat 30 minutes),
  never during a call. The engine, not this module, decides what was due,
  shown and taken.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ergod.core.model import EventKind
from ergod.replay.workday import Pair, pause

HOUR = 3600.0
SIT_LIMIT = 30 * 60.0  # the default movement break falls due after this much sitting
RECHECK = 10 * 60.0  # a prompt left unanswered comes back about this much later
AWAY = 3 * 60.0  # a pause this long ends a sitting bout (the default presence)


@dataclass(frozen=True)
class DayPlan:
    """One desk day, in seconds from local midnight; blocks are (start, length)."""

    arrive: float
    leave: float
    away: tuple[tuple[float, float], ...]  # lunch and meetings, sorted
    call: tuple[float, float] | None = None  # at the desk, little input


def demo_days(weeks: int, seed: int = 1) -> list[list[Pair]]:
    rng = random.Random(seed)
    out: list[list[Pair]] = []
    for week in range(weeks):
        progress = week / (weeks - 1) if weeks > 1 else 1.0
        own, answer = 0.1 + 0.4 * progress, 0.08 + 0.27 * progress
        for plan in plan_week(rng, newest=week == weeks - 1):
            out.append([] if plan is None else desk_day(rng, plan, own, answer))
    return out


def plan_week(rng: random.Random, newest: bool) -> list[DayPlan | None]:
    """Monday to Sunday; None for a day away from the desk."""
    off = rng.randrange(5) if newest or rng.random() < 0.5 else None
    call_day: int | None = rng.choice([d for d in range(5) if d != off])
    if not newest and rng.random() >= 0.7:
        call_day = None
    plans: list[DayPlan | None] = []
    for day in range(5):
        if day == off:
            plans.append(None)
            continue
        arrive = rng.uniform(7.5, 9.5) * HOUR
        leave = rng.uniform(14.5, 16) * HOUR if day == 4 else rng.uniform(16.5, 18.5) * HOUR
        away = [(rng.uniform(12, 13) * HOUR, rng.uniform(30, 60) * 60)]
        for _ in range(rng.randint(0, 2)):
            away.append((rng.uniform(9.5, 15.5) * HOUR, rng.uniform(30, 60) * 60))
        call = None
        if day == call_day:
            call = (rng.uniform(10, 14.5) * HOUR, rng.uniform(90, 150) * 60)
        plans.append(DayPlan(arrive, leave, tuple(sorted(away)), call))
    if rng.random() < 0.3:
        start = rng.uniform(9.5, 11) * HOUR
        plans.append(DayPlan(start, start + rng.uniform(20, 40) * 60, ()))
    else:
        plans.append(None)
    plans.append(None)
    return plans


def desk_day(rng: random.Random, plan: DayPlan, own: float, answer: float) -> list[Pair]:
    """One day's inputs: `own` is the chance of standing up unprompted in a sitting
    period, `answer` the chance of answering each movement break."""
    pairs: list[Pair] = []
    away = list(plan.away)
    call = plan.call
    t = plan.arrive
    get_up, ask = _own_time(rng, t, own), t + SIT_LIMIT
    while t < plan.leave:
        if away and t >= away[0][0]:
            t = max(t, away[0][0] + away.pop(0)[1])
        elif call is not None and t >= call[0]:
            end = call[0] + call[1]
            while t < end:  # on a call: the mouse now and then, no getting up
                pairs.append((round(t, 3), EventKind.INPUT))
                t += rng.uniform(40, 170)
            call = None
            ask = max(ask, t)
            continue
        elif t >= get_up or (t >= ask and rng.random() < answer):
            t += rng.uniform(200, 420)  # up and about: the bout ends
        else:
            if t >= ask:
                ask = t + RECHECK
            t = _typing(rng, t, pairs)
            gap = pause(rng)
            t += gap
            if gap < AWAY:
                continue
        get_up, ask = _own_time(rng, t, own), t + SIT_LIMIT  # sitting starts afresh
    return pairs


def _own_time(rng: random.Random, since: float, own: float) -> float:
    """When the person stands up unprompted in this sitting period (or never)."""
    return since + rng.uniform(15, 29) * 60 if rng.random() < own else float("inf")


def _typing(rng: random.Random, t: float, pairs: list[Pair]) -> float:
    """A burst of input a little under a second apart (so stored activity spans join
    up); returns when it ends."""
    stop = t + rng.uniform(5, 90)
    while t < stop:
        pairs.append((round(t, 3), EventKind.INPUT))
        t += rng.uniform(0.7, 1.0)
    return t
