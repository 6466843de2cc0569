"""Idle-first driving: few engine calls for much input, same decisions."""

from __future__ import annotations

from engine_support import full_run, run_idle_first

from ergod.core import Engine, EventKind, Rules
from ergod.core.presence import Presence


def typing_day() -> list[tuple[float, EventKind]]:
    """An hour of 10 inputs/s, a 4 min walk, 40 more min, a lock, 20 more min."""
    pairs: list[tuple[float, EventKind]] = []
    t = 0.0
    for end in (3600.0, 6240.0):
        while t < end:
            pairs.append((round(t, 1), EventKind.INPUT))
            t += 0.1
        t = end + 240.0
    pairs.append((t, EventKind.LOCK))
    pairs.append((t + 600.0, EventKind.UNLOCK))
    t += 605.0
    while t < 8600.0:
        pairs.append((round(t, 1), EventKind.INPUT))
        t += 0.1
    return pairs


def test_dense_input_costs_few_engine_calls() -> None:
    pairs = typing_day()
    inputs = sum(1 for _, k in pairs if k is EventKind.INPUT)
    run = run_idle_first(pairs, Rules())
    assert run.result.reminders == full_run(pairs, Rules()).reminders
    assert run.result.bouts == full_run(pairs, Rules()).bouts
    # About one idle question per threshold (20 s) plus the due moments,
    # against ~80,000 inputs.
    assert run.ticks + run.watches < inputs / 100


def test_watch_is_wanted_exactly_while_away() -> None:
    presence = Presence(Engine(Rules()))
    assert presence.wants_watch  # nothing seen yet: wait for the first input
    presence.returned(100.0)
    assert not presence.wants_watch
    wake = presence.wakeup_at()
    assert wake is not None and 119.0 < wake < 120.0
    presence.tick(wake, idle=5.0)  # typed until 5 s ago
    assert not presence.wants_watch
    later = presence.wakeup_at()
    assert later is not None and later > wake
    presence.tick(later, idle=later - (wake - 5.0))  # nothing since
    assert presence.wants_watch
    presence.event(later + 1, EventKind.LOCK, idle=None)
    assert not presence.wants_watch  # input while locked does not count
    presence.event(later + 300, EventKind.UNLOCK, idle=2.0)
    assert presence.wants_watch


def test_schedule_only_mode_counts_the_user_present() -> None:
    """With no activity source, idle=0 at every wake-up: prompts by the clock."""
    presence = Presence(Engine(Rules()))
    presence.tick(0.0, idle=0.0)
    shown = []
    t = 0.0
    while t < 3600:
        wake = presence.engine.next_wakeup()
        assert wake is not None
        t = wake
        shown += [e for e in presence.tick(t, idle=0.0) if type(e).__name__ == "ShowPrompt"]
    assert [(e.kind.value, e.at) for e in shown][:2] == [("stretch", 1200.0), ("movement", 1800.0)]


def test_attended_time_asks_no_idle_question() -> None:
    """A two-hour call: no watch and no presence check, only the engine's own
    moments; the absence after the call is checked and watched as usual."""
    presence = Presence(Engine(Rules()))
    presence.returned(0.0)
    presence.event(10.0, EventKind.ATTEND_START, idle=0.0)
    ticks = 0
    while True:
        assert not presence.wants_watch
        wake = presence.wakeup_at()
        assert wake == presence.engine.next_wakeup()
        if wake is None or wake >= 7210.0:
            break
        presence.tick(wake, idle=wake)  # the platform saw no input since 0
        ticks += 1
    assert ticks < 40  # a check every 20 s would be 360
    presence.event(7210.0, EventKind.ATTEND_END, idle=7210.0)
    assert presence.engine.last_input == 7210.0
    check = presence.wakeup_at()
    assert check is not None and 7229.0 < check < 7230.0
    presence.tick(check, idle=check)
    assert presence.wants_watch
