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

from ergod import i18n
from ergod.core.rules import Kind
from ergod.durations import format_time_of_day, human_duration
from ergod.i18n import N_, _, ngettext
from ergod.summary.hours import Window
from ergod.summary.model import IsoWeek, WeekSummary


def percent(fraction: float | None) -> str:
    """42%, 42 % in German and French: the locale's percent sign and spacing."""
    return i18n.percent(fraction)


def weekday(day: date) -> str:
    return i18n.weekday_name(day)


def week_name(week: IsoWeek) -> str:
    """How a week is named: "2026-W47" in English, "KW 47/2026" in German."""
    # Translators: an ISO week, {number} zero-padded ("07"); use your readers' usual form.
    return _("{year}-W{number}").format(number=f"{week.week:02d}", year=week.year)


def clock(hour: int, minute: int = 0) -> str:
    return format_time_of_day(hour * 60 + minute)


# ---- the headline ----------------------------------------------------------------

NOTHING_RECORDED = N_("Nothing was recorded this week.")


def headline(summary: WeekSummary) -> tuple[str, str]:
    """The week's title and body: the movement line, then the stretch line."""
    title = _("Your week {week}").format(week=week_name(summary.week))
    if summary.totals.sitting.bouts == 0 and not _any_due(summary):
        return title, _(NOTHING_RECORDED)
    return title, "\n".join(line for line in (_movement(summary), _stretch(summary)) if line)


def _movement(summary: WeekSummary) -> str:
    now, before = summary.totals.sitting, summary.previous.sitting
    movement = summary.totals.breaks[Kind.MOVEMENT]
    parts = []
    if movement.shown:
        parts.append(
            ngettext(
                "You got up for {taken} of {shown} movement break ({percent}).",
                "You got up for {taken} of {shown} movement breaks ({percent}).",
                movement.shown,
            ).format(
                taken=movement.taken, shown=movement.shown, percent=percent(movement.adherence)
            )
        )
    if now.long_share is not None:
        if before.long_share is not None:
            text = _(
                "{percent} of your desk time was in bouts over 30 min without a break "
                "({before} the week before)."
            )
        else:
            text = _("{percent} of your desk time was in bouts over 30 min without a break.")
        parts.append(
            text.format(percent=percent(now.long_share), before=percent(before.long_share))
        )
    if now.per_active_day_s is not None:
        parts.append(_per_day(now.per_active_day_s, now.days_active, before.per_active_day_s))
    longest = max(summary.days, key=lambda d: (d.longest_bout_s, -d.date.toordinal()))
    if longest.longest_bout_s > 0:
        parts.append(
            _("Longest time without a break: {time} on {weekday}.").format(
                time=human_duration(longest.longest_bout_s), weekday=weekday(longest.date)
            )
        )
    return " ".join(parts)


def _per_day(now: float, days: int, before: float | None) -> str:
    values = {"time": human_duration(now), "days": days}
    if before is None:
        return ngettext(
            "You sat {time} a day on {days} day.", "You sat {time} a day on {days} days.", days
        ).format(**values)
    change = now - before
    if abs(change) < 60:
        return ngettext(
            "You sat {time} a day on {days} day, about the same a day as the week before.",
            "You sat {time} a day on {days} days, about the same a day as the week before.",
            days,
        ).format(**values)
    if change > 0:
        text = ngettext(
            "You sat {time} a day on {days} day, {change} more a day than the week before.",
            "You sat {time} a day on {days} days, {change} more a day than the week before.",
            days,
        )
    else:
        text = ngettext(
            "You sat {time} a day on {days} day, {change} less a day than the week before.",
            "You sat {time} a day on {days} days, {change} less a day than the week before.",
            days,
        )
    return text.format(change=human_duration(abs(change)), **values)


def _stretch(summary: WeekSummary) -> str:
    stretch = summary.totals.breaks[Kind.STRETCH]
    if not stretch.shown:
        return ""
    return _("Stretch breaks: {taken} of {shown} followed ({percent}).").format(
        taken=stretch.taken, shown=stretch.shown, percent=percent(stretch.adherence)
    )


def _any_due(summary: WeekSummary) -> bool:
    return any(k.due for k in summary.totals.breaks.values())


# ---- when in the day -------------------------------------------------------------


def long_bouts_when(window: Window | None) -> str:
    """The text report's line naming where long bouts cluster."""
    if window is None:
        return _("No bout went over 30 min this week.")
    return _(
        "Bouts over 30 min started most often between {first} and {last} ({count} of {total})."
    ).format(**_window(window))


def _window(window: Window) -> dict[str, object]:
    return {
        "first": clock(window.first),
        "last": clock(window.last),
        "count": window.count,
        "total": window.total,
    }


# ---- suggestions (the rules are in ergod/summary/suggest.py) ---------------------


def tip_long_cluster(window: Window, after_lunch: bool) -> str:
    if after_lunch:
        text = _(
            "Most bouts over 30 min ({count} of {total}) started between {first} and {last}: "
            "a short walk right after lunch would break up the longest ones."
        )
    else:
        text = _(
            "Most bouts over 30 min ({count} of {total}) started between {first} and {last}: "
            "a short walk at {walk} would break up the longest ones."
        )
    return text.format(walk=clock(window.first, 30), **_window(window))


def tip_movement_missed(taken: int, shown: int) -> str:
    return ngettext(
        "{missed} of {shown} movement break went by without you getting up. "
        "Next week, stand up as soon as one appears, even just to fetch a glass of water, "
        "and finish what you were doing after.",
        "{missed} of {shown} movement breaks went by without you getting up. "
        "Next week, stand up as soon as one appears, even just to fetch a glass of water, "
        "and finish what you were doing after.",
        shown,
    ).format(missed=shown - taken, shown=shown)


def tip_long_bout(seconds: float, day: date) -> str:
    return _(
        "Your longest time without a break was {time} on {weekday}. "
        "If it was a call, take the next long one standing, or walk for a few minutes "
        "as soon as it ends."
    ).format(time=human_duration(seconds), weekday=weekday(day))


def tip_stretch_not_movement(stretch: float, movement: float) -> str:
    return _(
        "You followed {stretch} of stretch breaks but {movement} of movement breaks. "
        "When a stretch break comes, stand up and walk a few steps first."
    ).format(stretch=percent(stretch), movement=percent(movement))


TIP_KEEP_GOING = N_(
    "You broke up most of your sitting within 30 min. Keep the rhythm: the same breaks "
    "at the same times next week."
)

TIP_PICK_A_BLOCK = N_(
    "Pick one part of the day next week, for example the first hour after lunch, and "
    "get up at every movement break in it."
)


# ---- the trend over several weeks -------------------------------------------------

TREND_LONG_SHARE = N_("desk time in bouts over 30 min")
TREND_MOVEMENT = N_("movement breaks taken")


def trend_title(first: IsoWeek, last: IsoWeek, weeks: int) -> str:
    return _("Trend over {weeks} weeks, {first} to {last}, oldest first:").format(
        weeks=weeks, first=week_name(first), last=week_name(last)
    )


# ---- the HTML report's charts ------------------------------------------------------

CHART_SITTING = N_("Time sitting, per day")
CHART_LONGEST = N_("Longest time without a break, per day")
CHART_FOLLOWED = N_("Break prompts followed, per day")
CHART_HOURS = N_("When you sat: time sitting in each hour of the day, over the week")
SERIES_LONG = N_("in bouts over 30 min")
SERIES_SHORT = N_("in shorter bouts")
HOURS_EMPTY = N_("No sitting was recorded this week.")
CHART_TREND = N_("Desk time in bouts over 30 min, and movement breaks taken, week by week")
SUGGESTION = N_("Suggestion for next week:")


def hour_name(hour: int) -> str:
    """How an hour slot is read out: "13:00 to 14:00"."""
    return _("{start} to {end}").format(start=clock(hour), end=clock((hour + 1) % 24))


def weeks_title(count: int) -> str:
    return ngettext(
        "Your last {count} week at the desk", "Your last {count} weeks at the desk", count
    ).format(count=count)
