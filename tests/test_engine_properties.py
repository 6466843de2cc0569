"""Properties of the engine that hold for any trace and any valid rules."""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter

import pytest
from engine_support import Pair, full_run, rules, run_idle_first, traces
from hypothesis import given, settings
from hypothesis import strategies as st

from ergod.core import (
    BreakResolved,
    EventKind,
    Kind,
    Outcome,
    Rules,
    ShowPrompt,
)

PROPERTY_SETTINGS = settings(max_examples=500, deadline=None)


def accepted_inputs(pairs: list[Pair]) -> tuple[list[float], list[tuple[float, float]]]:
    """Inputs the engine counts (those outside lock and sleep; attended time's
    start and end count as inputs, section 6), and the attended spans."""
    locked = asleep = False
    attended: float | None = None
    out: list[float] = []
    spans: list[tuple[float, float]] = []
    for t, kind in pairs:
        if attended is not None and kind in (
            EventKind.ATTEND_END,
            EventKind.LOCK,
            EventKind.SLEEP,
        ):
            spans.append((attended, t))
            attended = None
            out.append(t)
        if kind is EventKind.LOCK:
            locked = True
        elif kind is EventKind.UNLOCK:
            locked = False
        elif kind is EventKind.SLEEP:
            asleep = True
        elif kind is EventKind.WAKE:
            asleep = False
        elif kind in (EventKind.INPUT, EventKind.ATTEND_START) and not (locked or asleep):
            out.append(t)
            if kind is EventKind.ATTEND_START and attended is None:
                attended = t
    if attended is not None:
        spans.append((attended, math.inf))
    return out, spans


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@PROPERTY_SETTINGS
@given(rules(), traces())
def test_bouts_never_overlap(r: Rules, pairs: list[Pair]) -> None:
    bouts = full_run(pairs, r).bouts
    for bout in bouts:
        assert bout.start <= bout.end
    for a, b in itertools.pairwise(bouts):
        assert a.end < b.start
        assert b.start - a.end >= r.break_after


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@PROPERTY_SETTINGS
@given(rules(), traces())
def test_no_prompt_while_away(r: Rules, pairs: list[Pair]) -> None:
    inputs, attended = accepted_inputs(pairs)
    for effect in full_run(pairs, r).effects:
        if isinstance(effect, ShowPrompt):
            if any(a <= effect.at <= b for a, b in attended):
                continue  # idle is 0 while attended
            i = bisect.bisect_right(inputs, effect.at) - 1
            assert i >= 0, "prompt before any input"
            idle = effect.at - inputs[i]
            assert idle < min(r.presence, r.kind(effect.kind).duration)


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@PROPERTY_SETTINGS
@given(rules(), traces())
def test_breaks_resolve_once_and_one_at_a_time(r: Rules, pairs: list[Pair]) -> None:
    result = full_run(pairs, r)
    open_breaks: dict[Kind, tuple[float, int]] = {}
    resolved: Counter[tuple[Kind, float, float | None]] = Counter()
    for effect in result.effects:
        if isinstance(effect, ShowPrompt):
            if effect.number == 1:
                assert effect.kind not in open_breaks
                open_breaks[effect.kind] = (effect.due, 1)
            else:
                due, count = open_breaks[effect.kind]
                assert effect.due == due and effect.number == count + 1
                open_breaks[effect.kind] = (due, effect.number)
            assert len(open_breaks) == 1, "two breaks open at once"
        elif isinstance(effect, BreakResolved):
            rec = effect.record
            resolved[(rec.kind, rec.due, rec.first_prompt)] += 1
            if rec.first_prompt is not None:
                due, count = open_breaks.pop(rec.kind)
                assert rec.due == due and rec.prompts == count
    assert all(n == 1 for n in resolved.values())


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@PROPERTY_SETTINGS
@given(rules(), traces())
def test_outcomes_follow_first_prompt(r: Rules, pairs: list[Pair]) -> None:
    inputs, attended = accepted_inputs(pairs)
    for rec in full_run(pairs, r).reminders:
        assert rec.outcome_at is None or rec.outcome_at >= rec.due
        if rec.first_prompt is not None:
            assert rec.first_prompt >= rec.due
            assert rec.outcome_at is None or rec.outcome_at >= rec.first_prompt
        else:
            assert rec.prompts == 0
            assert rec.outcome in (Outcome.MERGED, Outcome.SUPPRESSED)
        if rec.outcome is Outcome.TAKEN:
            # Taken means away for the kind's duration, ending at outcome_at (no
            # counted input, no attended time), and the latency runs from the
            # first prompt to the start of that absence.
            assert rec.latency is not None and rec.outcome_at is not None
            assert rec.first_prompt is not None
            away = (rec.outcome_at - r.kind(rec.kind).duration + 1e-9, rec.outcome_at - 1e-9)
            assert rec.latency == pytest.approx(max(0.0, away[0] - rec.first_prompt), abs=1e-6)
            assert not [t for t in inputs if away[0] < t < away[1]]
            assert not [(a, b) for a, b in attended if a < away[1] and b > away[0]]
        else:
            assert rec.latency is None
        assert rec.snoozes <= r.kind(rec.kind).max_snoozes
        assert rec.prompts - rec.snoozes <= r.kind(rec.kind).max_prompts


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(rules(), traces())
def test_idle_first_sees_what_every_event_sees(r: Rules, pairs: list[Pair]) -> None:
    """Fed only idle answers and return watches, the engine decides the same."""
    full = full_run(pairs, r)
    lean = run_idle_first(pairs, r).result
    assert lean.bouts == full.bouts
    assert lean.reminders == full.reminders


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_time_never_goes_backwards_in_effects(data: st.DataObject) -> None:
    r = data.draw(rules())
    pairs = data.draw(traces())
    last = -1.0
    for effect in full_run(pairs, r).effects:
        if isinstance(effect, ShowPrompt):
            assert effect.at >= last
            last = effect.at
