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
* When in the day (`by_hour`, `long_by_hour`, `long_starts_by_hour`): each bout
  is split over the local clock hours it was lived in (ergod/summary/hours.py;
  `zone`, the user's zone, places a DST change inside a bout); a bout's start
  hour is its recorded local hour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import median
from typing import Protocol

from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.errors import UsageError
from ergod.summary.hours import HOURS, hour_pieces

KINDS: tuple[Kind, ...] = (Kind.STRETCH, Kind.MOVEMENT)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# A bout strictly longer than this is a long one: the evidence asks for a break
# from sitting at least every 30 minutes (docs/summary.md).
LONG_BOUT_S = 1800.0


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
    long_share: float | None  # of total_s, in bouts over 30m; None when total_s is 0
    days_active: int  # local days with a bout start
    per_active_day_s: float | None  # total_s / days_active; None when no day
    by_hour: tuple[float, ...]  # 24: seconds sat in each local clock hour
    long_by_hour: tuple[float, ...]  # 24: the same, of bouts over 30m only
    long_starts_by_hour: tuple[int, ...]  # 24: bouts over 30m by local start hour


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


class _Sitting:
    """Running sitting figures for one period."""

    def __init__(self, zone: tzinfo | None) -> None:
        self.zone = zone
        self.lengths: list[float] = []
        self.dates: set[date] = set()
        self.by_hour = [0.0] * HOURS
        self.long_by_hour = [0.0] * HOURS
        self.long_starts = [0] * HOURS

    def add(self, bout: BoutLike) -> None:
        self.lengths.append(bout.length)
        self.dates.add(bout.start.date())
        long = bout.length > LONG_BOUT_S
        if long:
            self.long_starts[bout.start.hour] += 1
        for hour, seconds in hour_pieces(bout.start, bout.length, self.zone):
            self.by_hour[hour] += seconds
            if long:
                self.long_by_hour[hour] += seconds

    def result(self) -> SittingStats:
        lengths = self.lengths
        total = sum(lengths)
        days = len(self.dates)
        return SittingStats(
            total_s=total,
            bouts=len(lengths),
            median_bout_s=median(lengths) if lengths else None,
            longest_bout_s=max(lengths, default=0.0),
            bouts_over_30m=sum(1 for x in lengths if x > LONG_BOUT_S),
            bouts_over_60m=sum(1 for x in lengths if x > 2 * LONG_BOUT_S),
            long_share=sum(x for x in lengths if x > LONG_BOUT_S) / total if total else None,
            days_active=days,
            per_active_day_s=total / days if days else None,
            by_hour=tuple(self.by_hour),
            long_by_hour=tuple(self.long_by_hour),
            long_starts_by_hour=tuple(self.long_starts),
        )


class _Accumulator:
    """Running figures for one period; kept small so the pass stays one pass."""

    def __init__(self, zone: tzinfo | None) -> None:
        self.sitting = _Sitting(zone)
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
        return PeriodStats(self.sitting.result(), {k: self._kind(k) for k in KINDS})

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


def summarize(
    week: IsoWeek,
    bouts: Iterable[BoutLike],
    breaks: Iterable[BreakLike],
    zone: tzinfo | None = None,
) -> WeekSummary:
    """The summary of `week` (and of the week before, for `previous`); `zone` is the
    user's time zone, for the clock hours of a bout across a DST change."""
    this, before = _Accumulator(zone), _Accumulator(zone)
    first = week.monday
    prev_first = first - timedelta(days=7)
    day_lengths: list[list[float]] = [[] for _ in range(7)]
    day_shown, day_taken = [0] * 7, [0] * 7
    for bout in bouts:
        offset = (bout.start.date() - first).days
        if 0 <= offset < 7:
            this.sitting.add(bout)
            day_lengths[offset].append(bout.length)
        elif -7 <= offset < 0:
            before.sitting.add(bout)
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
