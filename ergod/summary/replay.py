"""Simulations and the store: `ergod simulate --record` and `--from-history`.

Contract:
* `record(conn, result, inputs, start)` writes a simulation's bouts, resolved
  breaks and input activity into an open store connection (`ergod.store.open_store`)
  in one transaction, as if the trace's second 0 were the local moment `start`
  (a timezone-aware datetime; a `zoneinfo` zone gives each row its own UTC offset,
  so a DST change inside the trace is recorded as the user would have lived it).
  Breaks still pending at the end of the trace are not written: the store holds
  resolved breaks only.
* `history_inputs(spans, origin)` turns stored activity spans back into one input
  per second, as seconds from `origin`: the store keeps when there was input, at
  one-second resolution, never what it was. Replaying them is therefore an
  approximation: pauses shorter than a second vanish, locks and quiet time are not
  stored and not replayed.
* `compare_week(reader, week, zone, current, candidate)` replays one week of
  recorded activity under two sets of rules and returns the JSON object
  `ergod simulate --from-history --json` prints.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from ergod.engine.model import EventKind, Outcome
from ergod.engine.rules import Kind, Rules
from ergod.summary.model import KINDS, IsoWeek

if TYPE_CHECKING:
    from ergod.simulation import SimulationResult
    from ergod.store import ActivitySpan, StoreReader


@dataclass(frozen=True)
class Recorded:
    """What `record` wrote."""

    bouts: int
    breaks: int
    spans: int


def local_moment(start: datetime, t: float) -> datetime:
    """The moment `t` seconds after `start`, in `start`'s zone.

    Elapsed time, not wall time: across a DST change 24 h after 08:00 is 07:00 or
    09:00, as on the engine's clock (aware `datetime + timedelta` would add wall time).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return datetime.fromtimestamp(start.timestamp() + t, start.tzinfo)


def _columns(moment: datetime | None) -> tuple[float | None, int | None]:
    if moment is None:
        return None, None
    offset = moment.utcoffset()
    assert offset is not None
    return moment.timestamp(), int(offset.total_seconds())


def activity_spans(times: Iterable[float]) -> list[tuple[int, int]]:
    """Whole-second spans `[start, end)` holding the inputs at `times` (epoch seconds,
    ascending); an input at 12.4 makes the span [12, 13); touching spans merge."""
    spans: list[tuple[int, int]] = []
    for t in times:
        second = int(t // 1)
        if spans and second <= spans[-1][1]:
            if second + 1 > spans[-1][1]:
                spans[-1] = (spans[-1][0], second + 1)
        else:
            spans.append((second, second + 1))
    return spans


def record(
    conn: sqlite3.Connection,
    result: SimulationResult,
    inputs: Sequence[float],
    start: datetime,
) -> Recorded:
    """Write a simulation into the store as if it had started at local `start`."""
    epoch = start.timestamp()
    bouts = []
    for bout in result.bouts:
        s, so = _columns(local_moment(start, bout.start))
        e, eo = _columns(local_moment(start, bout.end))
        bouts.append((s, so, e, eo, bout.length))
    breaks = []
    for r in result.reminders:
        if r.outcome is Outcome.PENDING:
            continue
        due = _columns(local_moment(start, r.due))
        first = _columns(None if r.first_prompt is None else local_moment(start, r.first_prompt))
        out = _columns(None if r.outcome_at is None else local_moment(start, r.outcome_at))
        counts = (r.prompts, r.snoozes, r.outcome.value)
        breaks.append((r.kind.value, *due, *first, *counts, *out, r.latency, r.exercise))
    spans = []
    for s_utc, e_utc in activity_spans(epoch + t for t in inputs):
        offset = local_moment(start, s_utc - epoch).utcoffset()
        assert offset is not None
        spans.append((s_utc, e_utc, int(offset.total_seconds())))
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO bouts (start_utc, start_offset, end_utc, end_offset, length_s) "
            "VALUES (?, ?, ?, ?, ?)",
            bouts,
        )
        conn.executemany(
            "INSERT INTO breaks (kind, due_utc, due_offset, first_prompt_utc, "
            "first_prompt_offset, prompts, snoozes, outcome, outcome_utc, outcome_offset, "
            "latency_s, exercise) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            breaks,
        )
        conn.executemany(
            "INSERT INTO activity (start_utc, end_utc, offset) VALUES (?, ?, ?)", spans
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return Recorded(len(bouts), len(breaks), len(spans))


def history_inputs(
    spans: Iterable[ActivitySpan], origin: datetime
) -> list[tuple[float, EventKind]]:
    """One input a second through each stored span, as seconds after `origin`."""
    zero = origin.timestamp()
    pairs: list[tuple[float, EventKind]] = []
    for span in spans:
        first = int(span.start.timestamp())
        for second in range(first, int(span.end.timestamp())):
            pairs.append((float(second) - zero, EventKind.INPUT))
    return pairs


def week_bounds(week: IsoWeek, zone: tzinfo) -> tuple[datetime, datetime]:
    """Local midnight starting Monday and the next Monday, in `zone`."""
    monday = week.monday
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    end_day = monday + timedelta(days=7)
    return start, datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)


def prompt_counts(result: SimulationResult) -> dict[str, Any]:
    """Per kind and in all: breaks due, shown, prompts shown, taken."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        records = [r for r in result.reminders if r.kind is kind]
        out[kind.value] = {
            "due": len(records),
            "shown": sum(1 for r in records if r.first_prompt is not None),
            "prompts": sum(r.prompts for r in records),
            "taken": sum(1 for r in records if r.outcome is Outcome.TAKEN),
        }
    out["prompts"] = sum(out[k.value]["prompts"] for k in KINDS)
    return out


def rule_changes(current: Rules, candidate: Rules) -> list[str]:
    """The settings that differ, as "breaks.stretch.every = 40m" lines."""
    from ergod.durations import format_duration

    def text(value: object) -> str:
        if isinstance(value, float):
            return format_duration(value)
        return str(value).lower() if isinstance(value, bool) else str(value)

    changes = []
    for name in ("break_after", "presence", "coalesce"):
        a, b = getattr(current, name), getattr(candidate, name)
        if a != b:
            section = "sitting" if name == "break_after" else "activity"
            section = "breaks" if name == "coalesce" else section
            changes.append(f"{section}.{name} = {text(b)}")
    for kind in (Kind.STRETCH, Kind.MOVEMENT):
        a_rules, b_rules = current.kind(kind), candidate.kind(kind)
        for f in fields(a_rules):
            a, b = getattr(a_rules, f.name), getattr(b_rules, f.name)
            if a != b:
                changes.append(f"breaks.{kind.value}.{f.name} = {text(b)}")
    return changes


def compare_week(
    reader: StoreReader, week: IsoWeek, zone: tzinfo, current: Rules, candidate: Rules
) -> dict[str, Any]:
    """Replay `week`'s recorded activity under both rules; the `--from-history` object."""
    from ergod.simulation import simulate_pairs

    start, end = week_bounds(week, zone)
    pairs = history_inputs(reader.activity_between(start, end), start)
    recorded = reader.breaks_between(start, end)
    now = prompt_counts(simulate_pairs(pairs, current))
    then = prompt_counts(simulate_pairs(pairs, candidate))
    return {
        "week": str(week),
        "start": start.date().isoformat(),
        "end": (end.date() - timedelta(days=1)).isoformat(),
        "inputs": len(pairs),
        "changes": rule_changes(current, candidate),
        "recorded": {
            "due": len(recorded),
            "prompts": sum(r.prompts for r in recorded),
        },
        "current": now,
        "candidate": then,
    }


def comparison_lines(report: dict[str, Any]) -> list[str]:
    """The readable form: "with breaks.stretch.every = 40m: 18 prompts instead of 26"."""
    changes = ", ".join(report["changes"]) or "no setting changed"
    now, then = report["current"], report["candidate"]
    lines = [
        f"Week {report['week']} ({report['start']} to {report['end']}), "
        f"replayed from {report['inputs']} seconds with input:",
        f"with {changes}: {then['prompts']} prompts instead of {now['prompts']}",
    ]
    for kind in KINDS:
        a, b = now[kind.value], then[kind.value]
        lines.append(
            f"  {kind.value}: {b['due']} breaks due instead of {a['due']}, "
            f"{b['taken']} taken instead of {a['taken']}"
        )
    rec = report["recorded"]
    lines.append(
        f"(recorded that week: {rec['due']} breaks due, {rec['prompts']} prompts; "
        "the replay knows no locks or quiet time, so compare the two replayed figures)"
    )
    return lines
