"""Replaying a trace through the engine: what `ergod simulate` shows.

`simulate()` drives the same `Engine` the daemon drives, on a virtual clock:
events grouped by timestamp, everything due up to the last event evaluated,
nothing after. The result renders as the spec's section 7 JSON object or as a
readable timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from ergod.core import (
    Bout,
    BoutEnded,
    BreakRecord,
    BreakResolved,
    Effect,
    Engine,
    EventKind,
    Kind,
    Outcome,
    Rules,
    ShowPrompt,
)
from ergod.durations import format_clock, format_duration
from ergod.replay.trace import TraceEvent

_KIND_RANK = {Kind.MOVEMENT: 0, Kind.STRETCH: 1}


@dataclass(frozen=True)
class SimulationResult:
    bouts: tuple[Bout, ...]
    reminders: tuple[BreakRecord, ...]
    effects: tuple[Effect, ...]


def simulate(events: Sequence[TraceEvent], rules: Rules) -> SimulationResult:
    engine = Engine(rules)
    effects: list[Effect] = []
    for t, group in groupby(events, key=lambda e: e.t):
        effects += engine.handle(t, [e.kind for e in group])
    return collect(engine, effects)


def collect(engine: Engine, effects: Sequence[Effect]) -> SimulationResult:
    """The bouts and break records of a finished run, open ones as `pending`."""
    bouts = [e.bout for e in effects if isinstance(e, BoutEnded)]
    current = engine.current_bout()
    if current is not None:
        bouts.append(current)
    records = [e.record for e in effects if isinstance(e, BreakResolved)]
    records += engine.pending_records()
    records.sort(key=lambda r: (r.due, _KIND_RANK[r.kind]))
    return SimulationResult(tuple(bouts), tuple(records), tuple(effects))


def simulate_pairs(pairs: Iterable[tuple[float, EventKind]], rules: Rules) -> SimulationResult:
    """`simulate` for (time, event) pairs, as tests and generators make them."""
    return simulate([TraceEvent(t, kind) for t, kind in pairs], rules)


def to_json(result: SimulationResult) -> dict[str, Any]:
    """The spec's section 7 object."""
    return {
        "bouts": [{"start": b.start, "end": b.end, "length": b.length} for b in result.bouts],
        "reminders": [record_json(r) for r in result.reminders],
    }


def record_json(r: BreakRecord) -> dict[str, Any]:
    return {
        "kind": r.kind.value,
        "due": r.due,
        "first_prompt": r.first_prompt,
        "prompts": r.prompts,
        "snoozes": r.snoozes,
        "outcome": r.outcome.value,
        "outcome_at": r.outcome_at,
        "latency": r.latency,
        "exercise": r.exercise,
    }


def timeline(result: SimulationResult) -> list[str]:
    """One line per bout, prompt and outcome, in time order, times as h:mm:ss."""
    rows: list[tuple[float, int, str]] = []
    for bout in result.bouts:
        rows.append((bout.start, 0, "sitting starts"))
        length = format_duration(round(bout.length))
        rows.append((bout.end, 3, f"sitting ends after {length}"))
    for effect in result.effects:
        if isinstance(effect, ShowPrompt):
            what = "snoozed prompt" if effect.snoozed else f"prompt {effect.number}"
            late = ""
            if effect.number == 1 and effect.at != effect.due:
                late = f", due {format_clock(effect.due)}"
            exercise = f": {effect.exercise}" if effect.exercise else ""
            rows.append((effect.at, 1, f"{effect.kind.value} {what}{exercise}{late}"))
    end = max((b.end for b in result.bouts), default=0.0)
    for r in result.reminders:
        # Still open at the end of the trace: listed last.
        at = r.outcome_at if r.outcome_at is not None else max(end, r.due)
        detail = ""
        if r.outcome is Outcome.TAKEN and r.latency is not None:
            detail = f" ({format_duration(round(r.latency))} after the first prompt)"
        elif r.outcome is Outcome.MERGED and r.first_prompt is None:
            detail = " into movement, not shown"
        elif r.outcome is Outcome.PENDING:
            detail = " at the end of the trace"
        rank = 4 if r.outcome is Outcome.PENDING else 2
        rows.append((at, rank, f"{r.kind.value} {r.outcome.value}{detail}"))
    rows.sort(key=lambda row: (row[0], row[1]))
    lines = [f"{format_clock(t)}  {text}" for t, _, text in rows]
    shown = sum(1 for r in result.reminders if r.first_prompt is not None)
    taken = sum(1 for r in result.reminders if r.outcome is Outcome.TAKEN)
    longest = max((b.length for b in result.bouts), default=0.0)
    lines.append(
        f"{len(result.bouts)} bouts, longest {format_duration(round(longest))}; "
        f"{len(result.reminders)} breaks due, {shown} shown, {taken} taken"
    )
    return lines
