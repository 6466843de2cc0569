"""Reading a week's summary out of the store.

`load_week(reader, week)` asks the store for the rows that can belong to the
week or the one before (two indexed range queries on UTC columns, widened by
the largest UTC offsets, since rows are cut by their own local date) and hands
them to `summarize`. `headline_for(path, today)` is the daemon's weekly
notification (headline and suggestion) in one call.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from ergod.summary.model import IsoWeek, WeekSummary, summarize

if TYPE_CHECKING:
    from ergod.store import StoreReader

# UTC offsets run from -12:00 to +14:00.
_MARGIN = timedelta(hours=14)


def load_week(reader: StoreReader, week: IsoWeek, zone: tzinfo | None = None) -> WeekSummary:
    """`week` and the one before from the store; `zone` is the user's (see `summarize`)."""
    first = datetime.combine(week.monday - timedelta(days=7), time(), timezone.utc) - _MARGIN
    last = datetime.combine(week.sunday + timedelta(days=1), time(), timezone.utc) + _MARGIN
    bouts, breaks = reader.bouts_between(first, last), reader.breaks_between(first, last)
    return summarize(week, bouts, breaks, zone)


def headline_for(path: Path, today: date, zone: tzinfo | None = None) -> tuple[str, str] | None:
    """The weekly notification's (title, body) for the week holding `today` (a local
    date): the headline and the week's suggestion, from the store at `path`; None when
    there is no store yet. Other store problems raise StoreError, for the caller to log."""
    from ergod.store import MissingStoreError, open_reader
    from ergod.summary.suggest import notification

    try:
        reader = open_reader(path)
    except MissingStoreError:
        return None
    with reader:
        return notification(load_week(reader, IsoWeek.containing(today), zone))
