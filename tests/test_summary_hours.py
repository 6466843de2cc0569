"""The summary's movement figures on hand-made bouts: clock hours across DST changes,
the share in long bouts, active days, the busiest window of long-bout starts, and
their text: the cluster line and the several-week trend.

Rows are built the way the store returns them: fixed UTC offsets, the one lived at
each moment (ergod.store.schema.from_columns)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ergod.store import BoutRow
from ergod.summary.contract import to_json
from ergod.summary.hours import Window, busiest_window, hour_pieces
from ergod.summary.model import IsoWeek, summarize
from ergod.summary.render_text import render_text, render_weeks, sparkline

BERLIN = ZoneInfo("Europe/Berlin")


def stored(moment: datetime) -> datetime:
    """`moment` as the store gives it back: its own offset, no zone rules."""
    offset = moment.utcoffset()
    assert offset is not None
    return datetime.fromtimestamp(moment.timestamp(), timezone(offset))


def bout(start: datetime, length: float) -> BoutRow:
    end = datetime.fromtimestamp(start.timestamp() + length, BERLIN)
    return BoutRow(0, stored(start), stored(end), length)


def hours(start: datetime, length: float, zone: ZoneInfo | None = BERLIN) -> dict[int, float]:
    out: dict[int, float] = {}
    for hour, seconds in hour_pieces(stored(start), length, zone):
        out[hour] = out.get(hour, 0.0) + seconds
    return out


def test_a_bout_is_split_over_the_clock_hours_it_spans() -> None:
    start = datetime(2026, 11, 16, 10, 40, tzinfo=BERLIN)
    assert hours(start, 50 * 60) == {10: 1200.0, 11: 1800.0}
    assert hours(start, 0) == {}


def test_when_the_clocks_go_back_the_repeated_hour_gets_both() -> None:
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET. 01:30 CEST + 3 h elapsed
    # is lived as 01:30-03:00 CEST, then 02:00-03:30 CET.
    start = datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN)
    assert start.utcoffset() == timedelta(hours=2)
    assert hours(start, 3 * 3600) == {1: 1800.0, 2: 7200.0, 3: 1800.0}
    # Without the zone only the start's offset is known: one hour later from 03:00.
    assert hours(start, 3 * 3600, None) == {1: 1800.0, 2: 3600.0, 3: 3600.0, 4: 1800.0}


def test_when_the_clocks_go_forward_the_skipped_hour_gets_nothing() -> None:
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
    assert hours(start, 3600) == {1: 1800.0, 3: 1800.0}


def test_a_bout_recorded_in_another_zone_keeps_its_own_clock() -> None:
    # Recorded in New York (the user travelled); the user's zone is now Berlin.
    new_york = datetime(2026, 11, 16, 9, 45, tzinfo=ZoneInfo("America/New_York"))
    assert hours(new_york, 1800) == {9: 900.0, 10: 900.0}


def test_new_sitting_figures() -> None:
    monday = datetime(2026, 11, 16, tzinfo=BERLIN)
    rows = [
        bout(monday + timedelta(hours=9), 1800),  # exactly 30 min: not long
        bout(monday + timedelta(hours=13, minutes=10), 3000),  # long, starts at 13
        bout(monday + timedelta(days=2, hours=14), 5400),  # long, starts at 14
        bout(monday + timedelta(days=2, hours=17), 0),
        bout(monday + timedelta(days=-5, hours=9), 1200),  # the week before
    ]
    s = to_json(summarize(IsoWeek(2026, 47), rows, [], BERLIN))
    sitting = s["sitting"]
    assert sitting["total_s"] == 10200
    assert sitting["long_share"] == pytest.approx(8400 / 10200)
    assert sitting["days_active"] == 2
    assert sitting["per_active_day_s"] == 5100
    assert len(sitting["by_hour"]) == 24 and sum(sitting["by_hour"]) == pytest.approx(10200)
    assert sitting["by_hour"][9:16] == [1800, 0, 0, 0, 3000, 3600, 1800]
    assert sitting["long_by_hour"][13:16] == [3000, 3600, 1800]
    assert sitting["long_by_hour"][9] == 0
    assert sitting["long_starts_by_hour"][13:15] == [1, 1]
    assert sum(sitting["long_starts_by_hour"]) == 2
    before = s["previous"]["sitting"]
    assert (before["days_active"], before["per_active_day_s"], before["long_share"]) == (
        1,
        1200,
        0.0,
    )
    assert before["by_hour"][9] == 1200


def test_no_sitting_means_null_shares_not_zero() -> None:
    monday = datetime(2026, 11, 16, 9, tzinfo=BERLIN)
    sitting = to_json(summarize(IsoWeek(2026, 47), [bout(monday, 0)], []))["sitting"]
    assert sitting["long_share"] is None  # one bout, but no time
    assert sitting["days_active"] == 1 and sitting["per_active_day_s"] == 0
    empty = to_json(summarize(IsoWeek(2026, 47), [], []))["sitting"]
    assert (empty["long_share"], empty["days_active"], empty["per_active_day_s"]) == (
        None,
        0,
        None,
    )
    assert empty["by_hour"] == [0.0] * 24


@pytest.mark.parametrize(
    ("counts", "window"),
    [
        ([0] * 24, None),
        ([0] * 13 + [3, 1] + [0] * 9, Window(13, 2, 4, 4)),
        ([1] + [0] * 22 + [1], Window(0, 2, 1, 2)),  # a tie: the earliest
        ([0] * 9 + [2, 0, 0, 2, 2] + [0] * 10, Window(12, 2, 4, 6)),
    ],
)
def test_busiest_window(counts: list[int], window: Window | None) -> None:
    assert busiest_window(counts) == window


def test_the_text_report_names_the_hours_long_bouts_cluster_in() -> None:
    monday = datetime(2026, 11, 16, tzinfo=BERLIN)
    rows = [bout(monday + timedelta(days=d, hours=13, minutes=15), 3000) for d in range(3)]
    rows.append(bout(monday + timedelta(hours=8), 2400))
    text = " ".join(render_text(summarize(IsoWeek(2026, 47), rows, [], BERLIN)).split())
    assert "Bouts over 30 min started most often between 13:00 and 15:00 (3 of 4)." in text
    short = render_text(summarize(IsoWeek(2026, 47), [bout(monday + timedelta(hours=9), 60)], []))
    assert "No bout went over 30 min this week." in short


def test_sparkline_cells() -> None:
    assert sparkline([0.0, 0.5, 1.0, None, 0.124]) == "▁▅█·▁"


def test_the_trend_of_several_weeks_in_text() -> None:
    monday = datetime(2026, 11, 16, tzinfo=BERLIN)
    weeks = []
    for i, long_minutes in enumerate((90, 60, 40, 20)):
        rows = [
            bout(monday + timedelta(weeks=i - 3, hours=9), long_minutes * 60),
            bout(monday + timedelta(weeks=i - 3, hours=14), 30 * 60),
        ]
        weeks.append(summarize(IsoWeek(2026, 47).shifted(i - 3), rows, [], BERLIN))
    text = render_weeks(weeks)
    tail = text.splitlines()[-3:]
    assert tail[0] == "Trend over 4 weeks, 2026-W44 to 2026-W47, oldest first:"
    # 90/120, 60/90, 40/70, then nothing over 30 min; no movement break was shown.
    assert tail[1] == "  desk time in bouts over 30 min   ▇▆▅▁  75% -> 0%"
    assert tail[2].split()[-4:] == ["····", "-", "->", "-"]
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Trend over" not in render_weeks(weeks[:1])


def test_a_tie_goes_to_the_window_starting_where_the_bouts_are() -> None:
    assert busiest_window([0] * 13 + [3] + [0] * 10) == Window(13, 2, 3, 3)
