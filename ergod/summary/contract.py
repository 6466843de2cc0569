"""The summary's JSON contract (docs/summary.md): what IT scripts and metrics build on.

`to_json(summary)` returns plain dicts, lists, numbers, strings and None only;
keys are added, never renamed or removed, within a major version.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ergod.summary.model import KINDS, DayStats, KindStats, PeriodStats, SittingStats, WeekSummary


def to_json(summary: WeekSummary) -> dict[str, Any]:
    from ergod.summary.suggest import suggest

    best = summary.best_day
    tip = suggest(summary)
    totals, previous = summary.totals, summary.previous
    return {
        "week": str(summary.week),
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "sitting": sitting_json(totals.sitting),
        "breaks": breaks_json(totals),
        "adherence": totals.adherence,
        "days": [day_json(d) for d in summary.days],
        "best_day": None if best is None else best.date.isoformat(),
        "previous": {
            "week": str(summary.week.shifted(-1)),
            "sitting": sitting_json(previous.sitting),
            "breaks": breaks_json(previous),
            "adherence": previous.adherence,
        },
        "change": {
            "sitting_total_s": totals.sitting.total_s - previous.sitting.total_s,
            "bouts": totals.sitting.bouts - previous.sitting.bouts,
            "longest_bout_s": totals.sitting.longest_bout_s - previous.sitting.longest_bout_s,
            "adherence": (
                None
                if totals.adherence is None or previous.adherence is None
                else totals.adherence - previous.adherence
            ),
        },
        "suggestion": None if tip is None else {"rule": tip.rule, "text": tip.text},
    }


def sitting_json(s: SittingStats) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(s).items()}


def kind_json(k: KindStats) -> dict[str, Any]:
    return asdict(k)


def breaks_json(period: PeriodStats) -> dict[str, Any]:
    return {kind.value: kind_json(period.breaks[kind]) for kind in KINDS}


def day_json(d: DayStats) -> dict[str, Any]:
    return {
        "date": d.date.isoformat(),
        "sitting_s": d.sitting_s,
        "bouts": d.bouts,
        "longest_bout_s": d.longest_bout_s,
        "shown": d.shown,
        "taken": d.taken,
    }
