"""The prompt schedule as moments in time: inside or outside `[schedule]`, and when that flips.

`[schedule]` (`ergod.config.schema.ScheduleConfig`) names weekdays and a daily
window [start, end) in local wall-clock minutes. This module turns it into
answers about real moments, and nothing else: it reads no clock, takes
time-zone-aware datetimes (`zoneinfo`, or tzlocal's zone in the daemon) and
raises ValueError for naive ones, because a naive datetime cannot say which
side of a DST change it is on.

* `inside(schedule, local)`: may a prompt show at this moment?
* `next_boundary(schedule, local)`: the next moment the answer flips, or None
  if it never does (every day, all hours; or no day at all).

How a boundary becomes a moment: the wall time "day D, minute M" is resolved
the way PEP 495 resolves it with `fold=0` (as APScheduler's CronTrigger does):

* a boundary in the hour skipped when clocks go forward (02:30 in
  Europe/Berlin on the last Sunday of March) is read on the old offset:
  02:30 CET, which is 03:30 CEST. It still happens once that day, an hour of
  the clock after the jump's start, never silently dropped;
* a boundary in the hour repeated when clocks go back (02:30 on the last
  Sunday of October) happens at its first occurrence (02:30 CEST); the repeat
  changes nothing.

`inside()` compares the moment with those same resolved boundaries, not with
the wall clock's reading, so it is consistent with `next_boundary()`: just
before the returned moment the answer is the old one, from it on the new one.
"end = 24:00" is the next day's 00:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ergod.config.schema import ScheduleConfig

MINUTES_PER_DAY = 1440


def _zone(local: datetime) -> tzinfo:
    zone = local.tzinfo
    if zone is None or local.utcoffset() is None:
        raise ValueError("the schedule needs a time-zone-aware datetime")
    return zone


def _moment(day: date, minute: int, zone: tzinfo) -> datetime:
    """The UTC moment of wall time `minute` on `day` (fold=0, see the module doc)."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return wall.astimezone(timezone.utc)


def _window(schedule: ScheduleConfig, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    return _moment(day, schedule.start, zone), _moment(day, schedule.end, zone)


def inside(schedule: ScheduleConfig, local: datetime) -> bool:
    """Whether prompts may show at `local` (aware): inside some allowed day's window."""
    zone = _zone(local)
    at = local.astimezone(timezone.utc)
    # The day before matters only when a resolved window spills past midnight.
    for day in (local.date() - timedelta(days=1), local.date()):
        if day.weekday() in schedule.days:
            start, end = _window(schedule, day, zone)
            if start <= at < end:
                return True
    return False


def next_boundary(schedule: ScheduleConfig, local: datetime) -> datetime | None:
    """The first moment after `local` at which `inside()` answers differently.

    Returned in `local`'s zone; None when the answer never changes.
    """
    zone = _zone(local)
    at = local.astimezone(timezone.utc)
    now_inside = inside(schedule, local)
    candidates: list[datetime] = []
    # Eight days ahead cover a whole week from any moment, plus the day we are in.
    for offset in range(-1, 9):
        day = local.date() + timedelta(days=offset)
        if day.weekday() in schedule.days:
            candidates.extend(_window(schedule, day, zone))
    for moment in sorted(c for c in candidates if c > at):
        if inside(schedule, moment.astimezone(zone)) != now_inside:
            return moment.astimezone(zone)
    return None
