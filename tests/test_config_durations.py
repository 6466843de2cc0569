"""Written durations, clock times, days and weekly times: what parses to what, and what not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ergod.durations import (
    DAY_NAMES,
    WEEKDAYS,
    format_days,
    format_duration,
    format_time_of_day,
    format_weekly_time,
    human_duration,
    parse_clock_time,
    parse_days,
    parse_duration,
    parse_weekly_time,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20s", 20.0),
        ("20m", 1200.0),
        ("1h30m", 5400.0),
        ("1h", 3600.0),
        ("90s", 90.0),
        ("1m30s", 90.0),
        ("0.5s", 0.5),
        ("6s", 6.0),
        ("400d", 400 * 86400.0),
        ("2w", 14 * 86400.0),
        ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5.0),
        (" 20M ", 1200.0),
        ("45", 45.0),
        ("0", 0.0),
        (45, 45.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_durations_parse(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "m", "20x", "1m1h", "1h1h", "-5", -5, True, None, [], "1.5h", "20 m", float("nan")],
)
def test_bad_durations_say_what_was_expected(text: object) -> None:
    with pytest.raises(ValueError, match=r"^expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (20, "20s"),
        (1200, "20m"),
        (5400, "1h30m"),
        (86400, "1d"),
        (400 * 86400, "400d"),
        (90061, "1d1h1m1s"),
        (1.5, "1.5s"),
    ],
)
def test_durations_format_shortest_and_round_trip(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (-3, "0 s"),
        (0.4, "0 s"),
        (44.5, "45 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (119.4, "1 min 59 s"),
        (119.6, "2 min"),
        (149.9, "2 min"),
        (150, "3 min"),
        (361, "6 min"),
        (2040, "34 min"),
        (3570, "1 h"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (7500, "2 h 5 min"),
        (100 * 3600 + 60, "100 h 1 min"),
    ],
)
def test_durations_for_people(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@given(st.floats(min_value=0, max_value=10**7))
def test_durations_for_people_are_close_and_have_no_zero_parts(seconds: float) -> None:
    text = human_duration(seconds)
    words = text.split()
    units = {"h": 3600, "min": 60, "s": 1}
    parts = list(zip(map(int, words[::2]), words[1::2], strict=True))
    shown = sum(n * units[unit] for n, unit in parts)
    precision = 1 if parts[-1][1] == "s" else 60
    assert abs(shown - seconds) <= precision / 2
    assert text == "0 s" or all(n > 0 for n, _ in parts)


def test_weekday_names_follow_the_calendar() -> None:
    from datetime import date, datetime, timedelta, timezone

    from apscheduler.triggers.cron import CronTrigger

    monday = date(2026, 11, 23)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert WEEKDAYS[day.weekday()] == day.strftime("%A")
        assert DAY_NAMES[day.weekday()] == day.strftime("%a").lower()
        assert parse_weekly_time(f"{WEEKDAYS[day.weekday()]} 10:00") == (day.weekday(), 600)
        # The weekly summary's cron job is given these names (ergod.daemon.wakeups).
        trigger = CronTrigger(
            day_of_week=DAY_NAMES[day.weekday()], hour=10, minute=0, timezone=timezone.utc
        )
        start = datetime(2026, 11, 23, tzinfo=timezone.utc)
        fire = trigger.get_next_fire_time(None, start)
        assert fire is not None and fire.date() == day


@pytest.mark.parametrize(
    ("text", "minutes"), [("08:30", 510), ("0:00", 0), ("23:59", 1439), ("8:05", 485)]
)
def test_clock_times(text: str, minutes: int) -> None:
    assert parse_clock_time(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "25:00", "12:60", "0830", "", "8", 830, None])
def test_bad_clock_times(text: object) -> None:
    with pytest.raises(ValueError, match=r"^expected a clock time like \"08:30\""):
        parse_clock_time(text)


def test_end_of_day_only_where_allowed() -> None:
    assert parse_clock_time("24:00", allow_end_of_day=True) == 1440
    assert format_time_of_day(1440) == "24:00"
    assert format_time_of_day(510) == "08:30"
    with pytest.raises(ValueError):
        parse_clock_time("24:01", allow_end_of_day=True)


@pytest.mark.parametrize(
    ("value", "days", "written"),
    [
        ("mon-fri", (0, 1, 2, 3, 4), "mon-fri"),
        ("mon-sun", (0, 1, 2, 3, 4, 5, 6), "mon-sun"),
        ("sat,sun", (5, 6), "sat,sun"),
        ("Monday-Wednesday", (0, 1, 2), "mon-wed"),
        ("fri-mon", (0, 4, 5, 6), "mon,fri-sun"),
        ("mon-wed,fri", (0, 1, 2, 4), "mon-wed,fri"),
        (["mon", "wed"], (0, 2), "mon,wed"),
        (["mon-thu", "sat"], (0, 1, 2, 3, 5), "mon-thu,sat"),
        ("wed", (2,), "wed"),
        ("mon,mon", (0,), "mon"),
    ],
)
def test_days(value: object, days: tuple[int, ...], written: str) -> None:
    assert parse_days(value) == days
    assert format_days(days) == written
    assert parse_days(written) == days


@pytest.mark.parametrize("value", ["", "mo", "mon-", "mon-xyz", "mon,,tue", [], [1], 5, ["mon", 2]])
def test_bad_days(value: object) -> None:
    with pytest.raises(ValueError, match=r"^expected days like"):
        parse_days(value)


@pytest.mark.parametrize(
    ("text", "value"), [("fri 16:00", (4, 960)), ("Mon 08:30", (0, 510)), ("sun  0:00", (6, 0))]
)
def test_weekly_times(text: str, value: tuple[int, int]) -> None:
    assert parse_weekly_time(text) == value
    assert parse_weekly_time(format_weekly_time(*value)) == value


@pytest.mark.parametrize("text", ["fri", "16:00", "friday16:00", "xyz 16:00", "fri 25:00", 5])
def test_bad_weekly_times(text: object) -> None:
    with pytest.raises(ValueError, match=r"^expected a day and time like \"fri 16:00\""):
        parse_weekly_time(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_any_whole_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.sets(st.integers(min_value=0, max_value=6), min_size=1))
def test_any_set_of_days_round_trips(days: set[int]) -> None:
    assert parse_days(format_days(tuple(days))) == tuple(sorted(days))
