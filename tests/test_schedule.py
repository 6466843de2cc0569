"""ergod.core.schedule: inside/outside `[schedule]` and its boundaries, as real moments.

Tables of local times (Europe/Berlin through zoneinfo, so DST is real), a
property over zones with odd DST rules, and the APScheduler miss that makes the
daemon wake at `next_boundary()` instead of using cron jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ergod.config.schema import ScheduleConfig
from ergod.core.schedule import inside, next_boundary

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
WEEKDAYS = ScheduleConfig(days=(0, 1, 2, 3, 4), start=9 * 60, end=17 * 60)
EVERY_HOUR = ScheduleConfig(days=tuple(range(7)), start=0, end=1440)
WEEKEND_LATE = ScheduleConfig(days=(5, 6), start=20 * 60, end=1440)
# A window whose start and end fall in the DST hours themselves (02:00-03:00).
NIGHT = ScheduleConfig(days=tuple(range(7)), start=2 * 60 + 30, end=3 * 60)
MONDAY_ALL_DAY = ScheduleConfig(days=(0,), start=0, end=1440)
SMALL_HOURS = ScheduleConfig(days=tuple(range(7)), start=2 * 60 + 30, end=4 * 60)


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("schedule", "local", "expected"),
    [
        # 2026-11-23 is a Monday.
        (WEEKDAYS, berlin(2026, 11, 23, 8, 59), False),
        (WEEKDAYS, berlin(2026, 11, 23, 9, 0), True),
        (WEEKDAYS, berlin(2026, 11, 23, 16, 59, 59), True),
        (WEEKDAYS, berlin(2026, 11, 23, 17, 0), False),
        (WEEKDAYS, berlin(2026, 11, 28, 12, 0), False),  # Saturday
        (WEEKEND_LATE, berlin(2026, 11, 28, 23, 59, 59), True),
        (WEEKEND_LATE, berlin(2026, 11, 29, 0, 0), False),  # end "24:00" ends the day
        (WEEKEND_LATE, berlin(2026, 11, 30, 20, 0), False),  # Monday
        (EVERY_HOUR, berlin(2026, 12, 31, 23, 59), True),
        (MONDAY_ALL_DAY, berlin(2026, 11, 23, 0, 0), True),
        (MONDAY_ALL_DAY, berlin(2026, 11, 24, 0, 0), False),
        # Spring forward: 02:30 does not exist on 29 March; it is read as 02:30 CET.
        (SMALL_HOURS, berlin(2026, 3, 29, 3, 15), False),
        (SMALL_HOURS, berlin(2026, 3, 29, 3, 30), True),
        (NIGHT, berlin(2026, 3, 29, 3, 30), False),  # 02:30-03:00 is empty that night
        # Fall back: 02:30 happens twice on 25 October; the first one opens the window.
        (NIGHT, berlin(2026, 10, 25, 2, 29), False),
        (NIGHT, berlin(2026, 10, 25, 2, 30), True),
        (NIGHT, berlin(2026, 10, 25, 2, 10, fold=1), True),  # the repeated hour
        (NIGHT, berlin(2026, 10, 25, 3, 0), False),
    ],
)
def test_inside(schedule: ScheduleConfig, local: datetime, expected: bool) -> None:
    assert inside(schedule, local) is expected


@pytest.mark.parametrize(
    ("schedule", "local", "expected"),
    [
        (WEEKDAYS, berlin(2026, 11, 23, 8, 0), berlin(2026, 11, 23, 9, 0)),
        (WEEKDAYS, berlin(2026, 11, 23, 9, 0), berlin(2026, 11, 23, 17, 0)),
        # Friday evening: the next flip is Monday morning (week wrap).
        (WEEKDAYS, berlin(2026, 11, 27, 17, 0), berlin(2026, 11, 30, 9, 0)),
        (WEEKEND_LATE, berlin(2026, 11, 28, 21, 0), berlin(2026, 11, 29, 0, 0)),
        (WEEKEND_LATE, berlin(2026, 11, 29, 0, 0), berlin(2026, 11, 29, 20, 0)),
        (WEEKEND_LATE, berlin(2026, 11, 29, 21, 0), berlin(2026, 11, 30, 0, 0)),
        # Year wrap: Thursday 31 December 2026 to Friday 1 January 2027.
        (WEEKDAYS, berlin(2026, 12, 31, 18, 0), berlin(2027, 1, 1, 9, 0)),
        (MONDAY_ALL_DAY, berlin(2026, 11, 24, 0, 0), berlin(2026, 11, 30, 0, 0)),
        (MONDAY_ALL_DAY, berlin(2026, 11, 30, 0, 0), berlin(2026, 12, 1, 0, 0)),
        (EVERY_HOUR, berlin(2026, 11, 23, 12, 0), None),
        # Spring forward: the skipped 02:30 resolves to 03:30 CEST, the 03:00 end
        # to 03:00 CEST, which is earlier, so that night's window is empty.
        (NIGHT, berlin(2026, 3, 29, 1, 0), berlin(2026, 3, 30, 2, 30)),
        # Fall back: first 02:30 (CEST) opens it, 03:00 (CET) closes it: 90 minutes.
        (NIGHT, berlin(2026, 10, 25, 1, 0), berlin(2026, 10, 25, 2, 30)),
        (NIGHT, berlin(2026, 10, 25, 2, 30), berlin(2026, 10, 25, 3, 0)),
        # Office hours around the DST days move with the wall clock.
        (WEEKDAYS, berlin(2026, 3, 27, 18, 0), berlin(2026, 3, 30, 9, 0)),
        (WEEKDAYS, berlin(2026, 10, 23, 18, 0), berlin(2026, 10, 26, 9, 0)),
    ],
)
def test_next_boundary(
    schedule: ScheduleConfig, local: datetime, expected: datetime | None
) -> None:
    found = next_boundary(schedule, local)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.astimezone(UTC) == expected.astimezone(UTC)
    # The answer really flips there and not before.
    assert inside(schedule, found) != inside(schedule, local)
    just_before = (found.astimezone(UTC) - timedelta(seconds=1)).astimezone(BERLIN)
    assert inside(schedule, just_before) == inside(schedule, local)


def test_fall_back_window_lasts_ninety_minutes() -> None:
    opened = next_boundary(NIGHT, berlin(2026, 10, 25, 1, 0))
    assert opened is not None
    closed = next_boundary(NIGHT, opened)
    assert closed is not None
    assert closed.astimezone(UTC) - opened.astimezone(UTC) == timedelta(minutes=90)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        inside(WEEKDAYS, datetime(2026, 11, 23, 9, 0))
    with pytest.raises(ValueError, match="time-zone-aware"):
        next_boundary(WEEKDAYS, datetime(2026, 11, 23, 9, 0))


# APScheduler 3.11's CronTrigger, asked before the jump on 29 March, adds 24 h
# for "the next day" and lands on 31 March (agronholm/apscheduler#529, #606).
APSCHEDULER_MISSES = berlin(2026, 3, 30, 0, 0).astimezone(UTC)


def test_apscheduler_skips_the_midnight_after_spring_forward() -> None:
    """Why the daemon places a date job at next_boundary() rather than cron jobs.

    WEEKEND_LATE's Sunday window ends at Monday 30 March 00:00, the night after
    the jump, and next_boundary finds it. A CronTrigger for Mondays 00:00 asked
    before the jump finds 6 April. If that half starts failing, APScheduler
    has fixed it.
    """
    from apscheduler.triggers.cron import CronTrigger

    found = next_boundary(WEEKEND_LATE, berlin(2026, 3, 29, 21, 0))
    assert found is not None and found.astimezone(UTC) == APSCHEDULER_MISSES
    trigger = CronTrigger(day_of_week="mon", hour=0, minute=0, timezone=BERLIN)
    fire = trigger.get_next_fire_time(None, berlin(2026, 3, 29, 0, 30))
    assert fire is not None and fire.astimezone(UTC) > APSCHEDULER_MISSES


ZONES = ("Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "America/New_York", "UTC")


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(
    days=st.sets(st.integers(0, 6), min_size=1).map(lambda d: tuple(sorted(d))),
    bounds=st.tuples(st.integers(0, 1440), st.integers(0, 1440)).filter(lambda b: b[0] != b[1]),
    zone=st.sampled_from(ZONES),
    seconds=st.integers(0, 2 * 366 * 86400),
    samples=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5),
)
def test_next_boundary_is_the_first_flip(
    days: tuple[int, ...],
    bounds: tuple[int, int],
    zone: str,
    seconds: int,
    samples: list[float],
) -> None:
    """In zones with midnight, half-hour and ordinary DST changes: nothing flips before
    next_boundary(), and the answer does flip there."""
    schedule = ScheduleConfig(days=days, start=min(bounds), end=max(bounds))
    tz = ZoneInfo(zone)
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    local = at.astimezone(tz)
    before = inside(schedule, local)
    found = next_boundary(schedule, local)
    if found is None:
        horizon = at + timedelta(days=8)
    else:
        horizon = found.astimezone(UTC)
        assert horizon > at
        assert inside(schedule, found) != before
    for fraction in samples:
        probe = at + (horizon - at) * fraction
        if probe < horizon:
            assert inside(schedule, probe.astimezone(tz)) == before
