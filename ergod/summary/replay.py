"""Simulations and the store: `ergod simulate --record` and `--from-history`.

Contract:
* `record(writer, result, inputs, start)` queues a simulation's bouts, resolved
  breaks and input activity on the daemon's `StoreWriter`, as if the trace's
  second 0 were the local moment `start` (a timezone-aware datetime; a `zoneinfo`
  zone gives each row its own UTC offset, so a DST change inside the trace is
  recorded as the user would have lived it).
  Breaks still pending at the end of the trace are not written: the store holds
  resolved breaks only. `write_store(path, ...)` does it with a writer of its own.
* `day_trace(days, first, zone)` turns days of wall-clock times (seconds from
  local midnight, as ergod/replay/demo.py makes them) into one trace of elapsed
  seconds from local midnight of `first`, right across DST changes.
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

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod.core.model import EventKind, Outcome
from ergod.core.rules import Kind, Rules
from ergod.summary.model import KINDS, IsoWeek

if TYPE_CHECKING:
    from ergod.config import LoadedConfig
    from ergod.environment import Environment
    from ergod.replay.simulation import SimulationResult
    from ergod.replay.trace import TraceEvent
    from ergod.store import ActivitySpan, StoreReader
    from ergod.store.writer import StoreWriter


# Below the writer's backlog limit (10,000), so a long trace drops nothing.
_FLUSH_EVERY = 5_000


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
    writer: StoreWriter,
    result: SimulationResult,
    inputs: Sequence[float],
    start: datetime,
) -> Recorded:
    """Write a simulation through the daemon's store writer as if it had started at
    local `start`, flushing every few thousand records and at the end; the caller
    closes the writer and checks its `status` and `dropped`. Raises StoreError if a
    flush fails."""
    from ergod.store import StoreError

    def wall(t: float) -> datetime:
        return local_moment(start, t)

    queued = 0

    def queue_one() -> None:
        # The writer keeps a bounded backlog for the daemon's trickle; a whole trace
        # arrives at once, so let it write every few thousand records.
        nonlocal queued
        queued += 1
        if queued % _FLUSH_EVERY == 0 and not writer.flush(timeout=60.0):
            raise StoreError(f"could not record into {writer.path}: {writer.status}")

    epoch = start.timestamp()
    for bout in result.bouts:
        writer.bout(wall(bout.start), wall(bout.end))
        queue_one()
    resolved = [r for r in result.reminders if r.outcome is not Outcome.PENDING]
    for r in resolved:
        writer.break_record(r, wall)
        queue_one()
    spans = activity_spans(epoch + t for t in inputs)
    for lo, hi in spans:
        writer.activity(wall(lo - epoch), wall(hi - epoch))
        queue_one()
    if not writer.flush(timeout=60.0):
        raise StoreError(f"could not record into {writer.path}: {writer.status}")
    return Recorded(len(result.bouts), len(resolved), len(spans))


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
    for name in ("break_after", "presence", "coalesce", "catch_up"):
        a, b = getattr(current, name), getattr(candidate, name)
        if a != b:
            section = "sitting" if name == "break_after" else "activity"
            section = "breaks" if name in ("coalesce", "catch_up") else section
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
    from ergod.replay.simulation import simulate_pairs

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
        f"(recorded that week: {rec['due']} breaks due, {rec['prompts']} prompts; the replay"
    )
    lines.append("knows no locks or quiet time, so compare the two replayed figures)")
    return lines


def parse_start(text: str, zone: tzinfo) -> datetime:
    """`--start 2026-11-16T08:00`: a local moment in `zone` (an explicit offset is kept
    as that instant, shown in `zone`); a bad form is a UsageError."""
    from ergod.errors import UsageError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"bad --start {text!r}: write a local date and time, e.g. 2026-11-16T08:00"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def local_zone() -> tzinfo:
    """The user's zone (a real zone, with its DST rules, not today's offset)."""
    from tzlocal import get_localzone

    zone: tzinfo = get_localzone()
    return zone


def check_arguments(args: argparse.Namespace) -> None:
    """`ergod simulate`'s combinations: a trace or --from-history; --record needs --start."""
    from ergod.errors import UsageError

    if args.from_history:
        if args.trace is not None or args.record:
            raise UsageError("--from-history replays the store: it takes no --trace or --record")
    elif args.trace is None:
        raise UsageError("give --trace FILE, or --from-history to replay a recorded week")
    elif args.week is not None:
        raise UsageError("--week goes with --from-history")
    if args.record and args.start is None:
        raise UsageError("--record needs --start, the local moment the trace begins")
    if args.start is not None and not args.record:
        raise UsageError("--start goes with --record")


def record_trace(
    args: argparse.Namespace,
    env: Environment,
    loaded: LoadedConfig,
    events: Sequence[TraceEvent],
    result: SimulationResult,
) -> Recorded:
    """`--record`: write `result` into the configured store from `--start` on."""
    start = parse_start(args.start, local_zone())
    path = loaded.config.store.db_path(env)
    inputs = [e.t for e in events if e.kind is EventKind.INPUT]
    done = write_store(path, result, inputs, start)
    sys.stderr.write(
        f"ergod: recorded {done.bouts} bouts and {done.breaks} breaks from "
        f"{start:%Y-%m-%d %H:%M %Z} into {path}\n"
    )
    return done


def write_store(
    path: Path, result: SimulationResult, inputs: Sequence[float], start: datetime
) -> Recorded:
    """`record` through a StoreWriter of its own on the store at `path`."""
    import logging

    from ergod.errors import ErgodError
    from ergod.store.writer import OK, StoreWriter

    writer = StoreWriter(path, logging.getLogger("ergod.simulate"))
    writer.start()
    done = record(writer, result, inputs, start)
    closed = writer.close(timeout=60.0)
    if not closed or writer.status != OK or writer.dropped:
        raise ErgodError(f"could not record into {path}: {writer.status}")
    return done


def day_trace(
    days: Sequence[Sequence[tuple[float, EventKind]]], first: date, zone: tzinfo
) -> tuple[datetime, list[tuple[float, EventKind]]]:
    """Days of (seconds from local midnight, event), day 0 on `first`, as one trace:
    its start (local midnight of `first`) and its pairs in elapsed seconds from it.
    Each day is placed by its local noon, so an event's wall-clock time is right on
    every day whatever DST did that night (events must fall after 04:00)."""
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    origin = start.timestamp()
    pairs: list[tuple[float, EventKind]] = []
    for i, day in enumerate(days):
        moment = first + timedelta(days=i)
        noon = datetime(moment.year, moment.month, moment.day, 12, tzinfo=zone).timestamp()
        shift = noon - 12 * 3600.0 - origin
        pairs += [(t + shift, kind) for t, kind in day]
    return start, pairs


def from_history(args: argparse.Namespace, env: Environment, loaded: LoadedConfig) -> int:
    """`--from-history [--week W] [--config FILE] [--json]`: the week's prompts under
    your configuration and under it plus the --config files."""
    import json

    from ergod.config.compose import engine_rules, load
    from ergod.store import open_reader

    if args.week is not None:
        week = IsoWeek.parse(args.week)
    else:
        week = IsoWeek.containing(date.today()).shifted(-1)
    current = engine_rules(load(env).config)
    candidate = engine_rules(loaded.config)
    with open_reader(loaded.config.store.db_path(env)) as reader:
        report = compare_week(reader, week, local_zone(), current, candidate)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    else:
        sys.stdout.write("\n".join(comparison_lines(report)) + "\n")
    return 0
