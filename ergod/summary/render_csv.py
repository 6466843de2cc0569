"""The weekly summary as CSV: one row per day, for spreadsheets.

Columns (fixed, in this order; seconds to the millisecond): week, date,
sitting_s, bouts, longest_bout_s, shown, taken, adherence. An empty adherence
means nothing was shown that day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ergod.summary.model import WeekSummary

COLUMNS = ("week", "date", "sitting_s", "bouts", "longest_bout_s", "shown", "taken", "adherence")


def render_csv(summaries: Sequence[WeekSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for summary in summaries:
        for d in summary.days:
            adherence = "" if d.adherence is None else f"{d.adherence:.4f}"
            writer.writerow(
                (
                    str(summary.week),
                    d.date.isoformat(),
                    f"{d.sitting_s:.3f}",
                    d.bouts,
                    f"{d.longest_bout_s:.3f}",
                    d.shown,
                    d.taken,
                    adherence,
                )
            )
    return out.getvalue()
