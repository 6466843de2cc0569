"""The weekly summary: pure aggregation of stored bouts and breaks into one ISO week.

Contract (docs/summary.md is the JSON side of it):
* A week is an ISO week (`IsoWeek`, "2026-W47") of local dates, Monday to Sunday.
* A row belongs to the local date of its first moment *as recorded*: a bout to
  its `start`, a break to its `due`. Rows carry timezone-aware datetimes in the
  offset they were recorded in, so a week is cut in the user's local time even
  across DST changes and travel; no zone is applied here.
* `summarize()` takes rows covering at least the week and the one before it (rows
  outside both are ignored) and returns a frozen `WeekSummary`; one pass over the
  rows, no I/O, no clock.
* `due` counts every break record, `shown` those with a first prompt,
  `adherence = taken / shown` (None when nothing was shown); "over 30m" means
  strictly longer than 30 minutes; lengths are seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Protocol

from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.errors import UsageError

KINDS: tuple[Kind, ...] = (Kind.STRETCH, Kind.MOVEMENT)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BoutLike(Protocol):
    """What the summary reads of a sitting bout (ergod.store.BoutRow fits)."""

    @property
    def start(self) -> datetime: ...

    @property
    def length(self) -> float: ...


class BreakLike(Protocol):
    """What the summary reads of a due break (ergod.store.BreakRow fits)."""

    @property
    def kind(self) -> Kind: ...

    @property
    def due(self) -> datetime: ...

    @property
    def first_prompt(self) -> datetime | None: ...

    @property
    def snoozes(self) -> int: ...

    @property
    def outcome(self) -> Outcome: ...

    @property
    def latency(self) -> float | None: ...


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week; `str()` is the "2026-W47" form."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """ "2026-W47" -> IsoWeek; a bad form or a week the year lacks is a UsageError."""
        match = _WEEK.match(text.strip())
        if match is None:
            raise UsageError(f"bad week {text!r}: write it as YEAR-Wnn, e.g. 2026-W47")
        year, week = int(match[1]), int(match[2])
        if not 1900 <= year <= 9998:
            raise UsageError(f"bad week {text!r}: years run from 1900 to 9998")
        # 28 December is always in the last ISO week of its year.
        weeks = date(year, 12, 28).isocalendar()[1]
        if not 1 <= week <= weeks:
            raise UsageError(f"bad week {text!r}: {year} has ISO weeks W01 to W{weeks:02d}")
        return cls(year, week)

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso[0], iso[1])

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


def adherence(taken: int, shown: int) -> float | None:
    """Breaks taken per break shown; None when nothing was shown (not 0: no data)."""
    return taken / shown if shown else None


@dataclass(frozen=True)
class SittingStats:
    total_s: float
    bouts: int
    median_bout_s: float | None  # None when there was no bout
    longest_bout_s: float
    bouts_over_30m: int
    bouts_over_60m: int


@dataclass(frozen=True)
class KindStats:
    due: int
    shown: int
    taken: int
    skipped: int
    ignored: int
    merged: int
    suppressed: int
    pending: int
    snoozes: int
    adherence: float | None  # taken / shown
    median_latency_s: float | None  # over taken breaks


@dataclass(frozen=True)
class DayStats:
    date: date
    sitting_s: float
    bouts: int
    longest_bout_s: float
    shown: int  # prompts' breaks shown, both kinds
    taken: int

    @property
    def adherence(self) -> float | None:
        return adherence(self.taken, self.shown)


@dataclass(frozen=True)
class PeriodStats:
    """Sitting and breaks over a stretch of days."""

    sitting: SittingStats
    breaks: Mapping[Kind, KindStats]

    @property
    def shown(self) -> int:
        return sum(s.shown for s in self.breaks.values())

    @property
    def taken(self) -> int:
        return sum(s.taken for s in self.breaks.values())

    @property
    def adherence(self) -> float | None:
        return adherence(self.taken, self.shown)


@dataclass(frozen=True)
class WeekSummary:
    week: IsoWeek
    totals: PeriodStats
    days: tuple[DayStats, ...]  # Monday to Sunday
    previous: PeriodStats  # the week before

    @property
    def start(self) -> date:
        return self.week.monday

    @property
    def end(self) -> date:
        """The last day of the week, included."""
        return self.week.sunday

    @property
    def best_day(self) -> DayStats | None:
        """The day with the highest adherence among days with a prompt shown; ties go
        to the shorter longest bout, then the earlier day."""
        candidates = [d for d in self.days if d.shown]
        if not candidates:
            return None
        return min(candidates, key=lambda d: (-(d.adherence or 0.0), d.longest_bout_s, d.date))


class _Accumulator:
    """Running figures for one period; kept small so the pass stays one pass."""

    def __init__(self) -> None:
        self.lengths: list[float] = []
        self.counts: dict[Kind, dict[Outcome, int]] = {k: dict.fromkeys(Outcome, 0) for k in KINDS}
        self.shown: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        self.snoozes: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        self.latencies: dict[Kind, list[float]] = {k: [] for k in KINDS}

    def add_break(self, row: BreakLike) -> None:
        kind = row.kind
        self.counts[kind][row.outcome] += 1
        self.snoozes[kind] += row.snoozes
        if row.first_prompt is not None:
            self.shown[kind] += 1
        if row.outcome is Outcome.TAKEN and row.latency is not None:
            self.latencies[kind].append(row.latency)

    def result(self) -> PeriodStats:
        return PeriodStats(sitting_stats(self.lengths), {k: self._kind(k) for k in KINDS})

    def _kind(self, kind: Kind) -> KindStats:
        counts, shown = self.counts[kind], self.shown[kind]
        latencies = self.latencies[kind]
        return KindStats(
            due=sum(counts.values()),
            shown=shown,
            taken=counts[Outcome.TAKEN],
            skipped=counts[Outcome.SKIPPED],
            ignored=counts[Outcome.IGNORED],
            merged=counts[Outcome.MERGED],
            suppressed=counts[Outcome.SUPPRESSED],
            pending=counts[Outcome.PENDING],
            snoozes=self.snoozes[kind],
            adherence=adherence(counts[Outcome.TAKEN], shown),
            median_latency_s=median(latencies) if latencies else None,
        )


def sitting_stats(lengths: list[float]) -> SittingStats:
    return SittingStats(
        total_s=sum(lengths),
        bouts=len(lengths),
        median_bout_s=median(lengths) if lengths else None,
        longest_bout_s=max(lengths, default=0.0),
        bouts_over_30m=sum(1 for x in lengths if x > 1800),
        bouts_over_60m=sum(1 for x in lengths if x > 3600),
    )


def summarize(week: IsoWeek, bouts: Iterable[BoutLike], breaks: Iterable[BreakLike]) -> WeekSummary:
    """The summary of `week` (and of the week before, for `previous`)."""
    this, before = _Accumulator(), _Accumulator()
    first = week.monday
    prev_first = first - timedelta(days=7)
    day_lengths: list[list[float]] = [[] for _ in range(7)]
    day_shown, day_taken = [0] * 7, [0] * 7
    for bout in bouts:
        offset = (bout.start.date() - first).days
        if 0 <= offset < 7:
            this.lengths.append(bout.length)
            day_lengths[offset].append(bout.length)
        elif -7 <= offset < 0:
            before.lengths.append(bout.length)
    for row in breaks:
        offset = (row.due.date() - first).days
        if 0 <= offset < 7:
            this.add_break(row)
            if row.first_prompt is not None:
                day_shown[offset] += 1
            if row.outcome is Outcome.TAKEN:
                day_taken[offset] += 1
        elif (row.due.date() - prev_first).days in range(7):
            before.add_break(row)
    days = tuple(
        DayStats(
            date=first + timedelta(days=i),
            sitting_s=sum(day_lengths[i]),
            bouts=len(day_lengths[i]),
            longest_bout_s=max(day_lengths[i], default=0.0),
            shown=day_shown[i],
            taken=day_taken[i],
        )
        for i in range(7)
    )
    return WeekSummary(week, this.result(), days, before.result())
