"""The summary's words: the headline and the small phrases every rendering shares.

`headline(summary) -> (title, body)` is what the weekly notification shows and
what the text and HTML reports open with, so all three say the same thing.
"""

from __future__ import annotations

from datetime import date

from ergod.durations import WEEKDAYS, human_duration
from ergod.summary.model import WeekSummary


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{round(fraction * 100)}%"


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def headline(summary: WeekSummary) -> tuple[str, str]:
    """The week in one title and one or two plain sentences."""
    totals = summary.totals
    title = f"Your week {summary.week}"
    if totals.sitting.bouts == 0 and totals.shown == 0 and not _any_due(summary):
        return title, "Nothing was recorded this week."
    parts = [f"You sat {human_duration(totals.sitting.total_s)} this week"]
    if totals.adherence is not None:
        parts.append(f"{percent(totals.adherence)} of prompts followed")
    longest = max(summary.days, key=lambda d: (d.longest_bout_s, -d.date.toordinal()))
    if longest.longest_bout_s > 0:
        parts.append(
            f"longest stretch {human_duration(longest.longest_bout_s)} on {weekday(longest.date)}"
        )
    body = "; ".join(parts) + "."
    change = totals.sitting.total_s - summary.previous.sitting.total_s
    if summary.previous.sitting.bouts and abs(change) >= 60:
        more = "more" if change > 0 else "less"
        body += f" {human_duration(abs(change))} {more} sitting than the week before."
    return title, body


def _any_due(summary: WeekSummary) -> bool:
    return any(k.due for k in summary.totals.breaks.values())
