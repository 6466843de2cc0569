"""The summary's words: the headline and the small phrases every rendering shares.

`headline(summary) -> (title, body)` is what the weekly notification shows and
what the text and HTML reports open with, so all three say the same thing.
"""

from __future__ import annotations

from datetime import date

from ergod.summary.model import WeekSummary

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def hours_minutes(seconds: float) -> str:
    """3 h 05 min, 42 min, 0 min: how people read a sitting time."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min"


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{round(fraction * 100)}%"


def weekday(day: date) -> str:
    return _WEEKDAYS[day.weekday()]


def headline(summary: WeekSummary) -> tuple[str, str]:
    """The week in one title and one or two plain sentences."""
    totals = summary.totals
    title = f"Your week {summary.week}"
    if totals.sitting.bouts == 0 and totals.shown == 0 and not _any_due(summary):
        return title, "Nothing was recorded this week."
    parts = [f"You sat {hours_minutes(totals.sitting.total_s)} this week"]
    if totals.adherence is not None:
        parts.append(f"{percent(totals.adherence)} of prompts followed")
    longest = max(summary.days, key=lambda d: (d.longest_bout_s, -d.date.toordinal()))
    if longest.longest_bout_s > 0:
        parts.append(
            f"longest stretch {hours_minutes(longest.longest_bout_s)} on {weekday(longest.date)}"
        )
    body = "; ".join(parts) + "."
    change = totals.sitting.total_s - summary.previous.sitting.total_s
    if summary.previous.sitting.bouts and abs(change) >= 60:
        more = "more" if change > 0 else "less"
        body += f" {hours_minutes(abs(change))} {more} sitting than the week before."
    return title, body


def _any_due(summary: WeekSummary) -> bool:
    return any(k.due for k in summary.totals.breaks.values())
