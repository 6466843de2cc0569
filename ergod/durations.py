"""Durations and clock times at the edges: text in, seconds (float) inside.

Written forms: `"90s"`, `"20m"`, `"1h30m"` (units h, m, s, largest first, each
at most once), or a bare non-negative number of seconds. Clock times are
`"HH:MM"` on a 24-hour clock. Inside ergod every duration is a float of seconds.
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_duration(value: object) -> float:
    """Seconds from `"1h30m"`, `"20s"`, `45` or `"45"`; ValueError if not one.

    The message of the ValueError says what was expected, for config errors.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration like \"20m\", \"90s\", \"1h30m\" or seconds")
    if isinstance(value, (int, float)):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError("expected a duration of zero or more seconds")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration like \"20m\", \"90s\", \"1h30m\" or seconds")
    text = value.strip().lower()
    if text and text.replace(".", "", 1).isdigit():
        return float(text)
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError("expected a duration like \"20m\", \"90s\", \"1h30m\" or seconds")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600.0 + int(minutes or 0) * 60.0 + float(seconds or 0)


def format_duration(seconds: float) -> str:
    """The shortest written form: 1200 -> "20m", 5400 -> "1h30m", 20 -> "20s"."""
    if seconds < 0:
        raise ValueError("negative duration")
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    if whole == 0:
        return "0s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs:
        parts.append(f"{secs}s")
    return "".join(parts)


def format_clock(seconds: float) -> str:
    """`h:mm:ss` for a time in seconds from a trace's zero: 3725 -> "1:02:05"."""
    total = int(round(seconds))
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def parse_clock_time(value: object) -> int:
    """Minutes after midnight from `"08:30"`; ValueError if not HH:MM."""
    if not isinstance(value, str):
        raise ValueError('expected a clock time like "08:30"')
    match = _CLOCK.match(value.strip())
    if match is None:
        raise ValueError('expected a clock time like "08:30"')
    return int(match.group(1)) * 60 + int(match.group(2))
