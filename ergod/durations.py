"""Durations, clock times and days at the edges: text in, plain numbers inside.

Written durations: `"90s"`, `"20m"`, `"1h30m"`, `"400d"`, `"2w"` (units w, d, h,
m, s, largest first, each at most once), or a bare non-negative number of
seconds; at most `MAX_DURATION` (100 years: longer overflows the scheduler's and
the store's date arithmetic, and means "never" anyway). Clock times are
`"HH:MM"` on a 24-hour clock (`"24:00"` only where an end of day is allowed).
Days are `"mon-fri"`, `"sat,sun"`, `"mon-wed,fri"` or a list of such items;
weekdays are numbered as `datetime.weekday()` (Monday 0).
Inside ergod every duration is a float of seconds, every clock time minutes
after midnight. Parsers raise ValueError whose message starts "expected ...",
which the config layer turns into its error text.

Durations for people (a prompt, `ergod status`, the weekly summary, exercise
cards) all come from `human_duration`: "45 s", "1 min 30 s", "34 min",
"1 h 5 min", "2 h".
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION_EXPECTED = 'expected a duration like "20m", "90s", "1h30m", "400d" or seconds'
_CLOCK_EXPECTED = 'expected a clock time like "08:30"'
_DAYS_EXPECTED = 'expected days like "mon-fri", "sat,sun" or a list of day names'
_WEEKLY_EXPECTED = 'expected a day and time like "fri 16:00"'
_UNIT_SECONDS = (604800, 86400, 3600, 60)
MAX_DURATION = 36500 * 86400.0
_MAX_EXPECTED = "expected a duration of at most 36500d (100 years)"

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
"""The weekdays for people, Monday 0 as `datetime.weekday()` counts."""
DAY_NAMES: tuple[str, ...] = tuple(name[:3].lower() for name in WEEKDAYS)
"""The written short names ("mon"), as config files and APScheduler's cron take them."""


def parse_duration(value: object) -> float:
    """Seconds from `"1h30m"`, `"20s"`, `"400d"`, `45` or `"45"`; ValueError if not one.

    The message of the ValueError says what was expected, for config errors.
    """
    if isinstance(value, bool):
        raise ValueError(_DURATION_EXPECTED)
    if isinstance(value, (int, float)):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError("expected a duration of zero or more seconds")
        if value > MAX_DURATION:
            raise ValueError(_MAX_EXPECTED)
        return float(value)
    if not isinstance(value, str):
        raise ValueError(_DURATION_EXPECTED)
    text = value.strip().lower()
    if text and text.replace(".", "", 1).isdigit():
        return _bounded(float(text))
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(_DURATION_EXPECTED)
    *units, seconds = match.groups()
    whole = sum(int(n or 0) * size for n, size in zip(units, _UNIT_SECONDS, strict=True))
    return _bounded(whole + float(seconds or 0))


def _bounded(seconds: float) -> float:
    # float() of a 400-digit string is inf, not an error.
    if not seconds <= MAX_DURATION:
        raise ValueError(_MAX_EXPECTED)
    return float(seconds)


def format_duration(seconds: float) -> str:
    """The shortest written form: 1200 -> "20m", 5400 -> "1h30m", 86400 -> "1d".

    Weeks are never used on output ("14d", not "2w"): days read more plainly.
    """
    if seconds < 0:
        raise ValueError("negative duration")
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    if whole == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


_SECONDS_SHOWN_BELOW = 120
"""Seconds are part of a duration for people only below this (2 min): an
exercise of 90 s is "1 min 30 s", a break due in 361 s is "6 min"."""


def human_duration(seconds: float) -> str:
    """How ergod writes a duration for people: "45 s", "1 min 30 s", "34 min", "1 h 5 min",
    in the active language (`ergod.i18n`).

    Below 2 minutes to the second, from there to the minute (half up);
    zero parts are left out ("2 h", "3 min"), nothing is padded. A negative
    duration (a clock stepped back) reads as "0 s".
    """
    from ergod.i18n import _

    seconds = max(0.0, seconds)
    whole = int(seconds + 0.5)
    if whole < _SECONDS_SHOWN_BELOW:
        minutes, secs = divmod(whole, 60)
        if not minutes:
            return _("{seconds} s").format(seconds=secs)
        if secs:
            return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)
        return _("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(int(seconds / 60 + 0.5), 60)
    if not hours:
        return _("{minutes} min").format(minutes=minutes)
    if minutes:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{hours} h").format(hours=hours)


def format_clock(seconds: float) -> str:
    """`h:mm:ss` for a time in seconds from a trace's zero: 3725 -> "1:02:05"."""
    total = round(seconds)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def parse_clock_time(value: object, *, allow_end_of_day: bool = False) -> int:
    """Minutes after midnight from `"08:30"`; ValueError if not HH:MM.

    With `allow_end_of_day`, `"24:00"` is accepted as 1440 (the end of a day).
    """
    if not isinstance(value, str):
        raise ValueError(_CLOCK_EXPECTED)
    text = value.strip()
    if allow_end_of_day and text == "24:00":
        return 1440
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(_CLOCK_EXPECTED)
    return int(match.group(1)) * 60 + int(match.group(2))


def format_time_of_day(minutes: int) -> str:
    """`"HH:MM"` for minutes after midnight: 510 -> "08:30", 1440 -> "24:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(name: str) -> int:
    text = name.strip().lower()
    for index, (short, full) in enumerate(zip(DAY_NAMES, WEEKDAYS, strict=True)):
        if text in (short, full.lower()):
            return index
    raise ValueError(_DAYS_EXPECTED)


def _day_item(item: str) -> list[int]:
    first, sep, last = item.partition("-")
    if not sep:
        return [_day(first)]
    start, end = _day(first), _day(last)
    # A range may wrap past Sunday: "fri-mon" is Friday to Monday.
    length = (end - start) % 7 + 1
    return [(start + i) % 7 for i in range(length)]


def parse_days(value: object) -> tuple[int, ...]:
    """Weekdays (Monday 0), sorted, from `"mon-fri"`, `"sat,sun"` or `["mon", "wed"]`."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [piece for v in value for piece in v.split(",")]
    else:
        raise ValueError(_DAYS_EXPECTED)
    if not items or any(not item.strip() for item in items):
        raise ValueError(_DAYS_EXPECTED)
    days: set[int] = set()
    for item in items:
        days.update(_day_item(item))
    return tuple(sorted(days))


def format_days(days: tuple[int, ...]) -> str:
    """The written form of weekdays: (0..4) -> "mon-fri", (0, 2) -> "mon,wed"."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ",".join(parts)


def parse_weekly_time(value: object) -> tuple[int, int]:
    """(weekday, minutes after midnight) from `"fri 16:00"`."""
    if not isinstance(value, str):
        raise ValueError(_WEEKLY_EXPECTED)
    day, _, clock = value.strip().partition(" ")
    try:
        return _day(day), parse_clock_time(clock.strip())
    except ValueError:
        raise ValueError(_WEEKLY_EXPECTED) from None


def format_weekly_time(weekday: int, minutes: int) -> str:
    """`"fri 16:00"` from (4, 960)."""
    return f"{DAY_NAMES[weekday]} {format_time_of_day(minutes)}"
