"""The summary's words: the headline, the suggestions and the small phrases every rendering shares.

`headline(summary) -> (title, body)` is what the text and HTML reports open with
and what the weekly notification shows (with the week's suggestion, see
`suggest.notification`), so all say the same thing. The body leads with movement: how
many movement breaks you got up for, the share of desk time in bouts over 30
minutes, sitting per active day against the week before (never week totals:
weeks differ in days worked), the longest time without a break; stretch breaks
come second, on their own line.

Every sentence a person reads is built here, one function or constant each, so
translations can wrap them in one place.
"""

from __future__ import annotations

from datetime import date

from ergod.core.rules import Kind
from ergod.durations import WEEKDAYS, format_time_of_day, human_duration
from ergod.summary.hours import Window
from ergod.summary.model import WeekSummary


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{round(fraction * 100)}%"


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def clock(hour: int, minute: int = 0) -> str:
    return format_time_of_day(hour * 60 + minute)


# ---- the headline ----------------------------------------------------------------

NOTHING_RECORDED = "Nothing was recorded this week."


def headline(summary: WeekSummary) -> tuple[str, str]:
    """The week's title and body: the movement line, then the stretch line."""
    title = f"Your week {summary.week}"
    if summary.totals.sitting.bouts == 0 and not _any_due(summary):
        return title, NOTHING_RECORDED
    return title, "\n".join(line for line in (_movement(summary), _stretch(summary)) if line)


def _movement(summary: WeekSummary) -> str:
    now, before = summary.totals.sitting, summary.previous.sitting
    movement = summary.totals.breaks[Kind.MOVEMENT]
    parts = []
    if movement.shown:
        parts.append(
            f"You got up for {movement.taken} of {movement.shown} movement breaks "
            f"({percent(movement.adherence)})."
        )
    if now.long_share is not None:
        was = ""
        if before.long_share is not None:
            was = f" ({percent(before.long_share)} the week before)"
        parts.append(
            f"{percent(now.long_share)} of your desk time was in bouts over 30 min "
            f"without a break{was}."
        )
    if now.per_active_day_s is not None:
        parts.append(_per_day(now.per_active_day_s, now.days_active, before.per_active_day_s))
    longest = max(summary.days, key=lambda d: (d.longest_bout_s, -d.date.toordinal()))
    if longest.longest_bout_s > 0:
        parts.append(
            f"Longest time without a break: {human_duration(longest.longest_bout_s)} "
            f"on {weekday(longest.date)}."
        )
    return " ".join(parts)


def _per_day(now: float, days: int, before: float | None) -> str:
    text = f"You sat {human_duration(now)} a day on {days} {'day' if days == 1 else 'days'}"
    if before is None:
        return text + "."
    change = now - before
    if abs(change) < 60:
        return text + ", about the same a day as the week before."
    more = "more" if change > 0 else "less"
    return text + f", {human_duration(abs(change))} {more} a day than the week before."


def _stretch(summary: WeekSummary) -> str:
    stretch = summary.totals.breaks[Kind.STRETCH]
    if not stretch.shown:
        return ""
    return (
        f"Stretch breaks: {stretch.taken} of {stretch.shown} followed "
        f"({percent(stretch.adherence)})."
    )


def _any_due(summary: WeekSummary) -> bool:
    return any(k.due for k in summary.totals.breaks.values())


# ---- when in the day -------------------------------------------------------------


def long_bouts_when(window: Window | None) -> str:
    """The text report's line naming where long bouts cluster."""
    if window is None:
        return "No bout went over 30 min this week."
    return (
        f"Bouts over 30 min started most often between {clock(window.first)} and "
        f"{clock(window.last)} ({window.count} of {window.total})."
    )


# ---- suggestions (the rules are in ergod/summary/suggest.py) ---------------------


def tip_long_cluster(window: Window, after_lunch: bool) -> str:
    where = (
        f"Most bouts over 30 min ({window.count} of {window.total}) started between "
        f"{clock(window.first)} and {clock(window.last)}:"
    )
    if after_lunch:
        return f"{where} a short walk right after lunch would break up the longest ones."
    return f"{where} a short walk at {clock(window.first, 30)} would break up the longest ones."


def tip_movement_missed(taken: int, shown: int) -> str:
    return (
        f"{shown - taken} of {shown} movement breaks went by without you getting up. "
        "Next week, stand up as soon as one appears, even just to fetch a glass of water, "
        "and finish what you were doing after."
    )


def tip_long_bout(seconds: float, day: date) -> str:
    return (
        f"Your longest time without a break was {human_duration(seconds)} on {weekday(day)}. "
        "If it was a call, take the next long one standing, or walk for a few minutes "
        "as soon as it ends."
    )


def tip_stretch_not_movement(stretch: float, movement: float) -> str:
    return (
        f"You followed {percent(stretch)} of stretch breaks but {percent(movement)} of "
        "movement breaks. When a stretch break comes, stand up and walk a few steps first."
    )


TIP_KEEP_GOING = (
    "You broke up most of your sitting within 30 min. Keep the rhythm: the same breaks "
    "at the same times next week."
)

TIP_PICK_A_BLOCK = (
    "Pick one part of the day next week, for example the first hour after lunch, and "
    "get up at every movement break in it."
)


# ---- the trend over several weeks -------------------------------------------------

TREND_LONG_SHARE = "desk time in bouts over 30 min"
TREND_MOVEMENT = "movement breaks taken"


def trend_title(first: str, last: str, weeks: int) -> str:
    return f"Trend over {weeks} weeks, {first} to {last}, oldest first:"


# ---- the HTML report's charts ------------------------------------------------------

CHART_SITTING = "Time sitting, per day"
CHART_LONGEST = "Longest time without a break, per day"
CHART_FOLLOWED = "Break prompts followed, per day"
CHART_HOURS = "When you sat: time sitting in each hour of the day, over the week"
SERIES_LONG = "in bouts over 30 min"
SERIES_SHORT = "in shorter bouts"
HOURS_EMPTY = "No sitting was recorded this week."
CHART_TREND = "Desk time in bouts over 30 min, and movement breaks taken, week by week"
SUGGESTION = "Suggestion for next week:"


def hour_name(hour: int) -> str:
    """How an hour slot is read out: "13:00 to 14:00"."""
    return f"{clock(hour)} to {clock((hour + 1) % 24)}"


def weeks_title(count: int) -> str:
    return f"Your last {count} weeks at the desk"
