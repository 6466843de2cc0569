"""The weekly aggregation's rules on small hand-made rows: which day and week a row
belongs to, "over 30m" is strict, adherence is null when nothing was shown, ISO week
parsing, the best day, the headline, the text layout."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.errors import UsageError
from ergod.store import BoutRow, BreakRow
from ergod.summary.contract import to_json
from ergod.summary.model import IsoWeek, summarize
from ergod.summary.render_text import bar, render_text
from ergod.summary.wording import headline

BERLIN = ZoneInfo("Europe/Berlin")
W47 = IsoWeek(2026, 47)  # Monday 2026-11-16


def at(day: int, hour: float, zone: ZoneInfo = BERLIN) -> datetime:
    """`hour` o'clock local on day `day` of W47 (0 = Monday); aware arithmetic is wall
    time, and no clock changes in November."""
    return datetime(2026, 11, 16, tzinfo=zone) + timedelta(days=day, hours=hour)


def bout(start: datetime, length: float) -> BoutRow:
    return BoutRow(0, start, start + timedelta(seconds=length), length)


def brk(
    due: datetime,
    outcome: Outcome,
    kind: Kind = Kind.STRETCH,
    shown: bool = True,
    latency: float | None = None,
    snoozes: int = 0,
) -> BreakRow:
    return BreakRow(
        id=0,
        kind=kind,
        due=due,
        first_prompt=due if shown else None,
        prompts=1 if shown else 0,
        snoozes=snoozes,
        outcome=outcome,
        outcome_at=due,
        latency=latency,
        exercise=None,
    )


def test_a_bout_over_midnight_belongs_whole_to_the_day_of_its_start() -> None:
    s = summarize(W47, [bout(at(0, 23.5), 3600)], [])
    assert [d.sitting_s for d in s.days][:2] == [3600, 0]
    assert s.totals.sitting.total_s == 3600


def test_rows_are_cut_by_their_recorded_local_date_not_utc() -> None:
    # 00:30 in Berlin on Monday is Sunday 23:30 UTC: it is Monday's.
    monday_early = at(0, 0.5)
    assert monday_early.astimezone(timezone.utc).date() == date(2026, 11, 15)
    s = summarize(W47, [bout(monday_early, 60)], [brk(monday_early, Outcome.TAKEN, latency=5)])
    assert s.days[0].bouts == 1 and s.days[0].taken == 1
    assert s.previous.sitting.bouts == 0


def test_the_previous_week_and_rows_outside_both_weeks() -> None:
    rows = [bout(at(-7, 9), 100), bout(at(-8, 9), 1000), bout(at(7, 9), 10_000), bout(at(6, 23), 5)]
    s = summarize(W47, rows, [brk(at(-1, 10), Outcome.SKIPPED), brk(at(-15, 10), Outcome.TAKEN)])
    assert s.totals.sitting.total_s == 5
    assert s.previous.sitting.total_s == 100
    assert s.previous.breaks[Kind.STRETCH].skipped == 1
    assert s.previous.breaks[Kind.STRETCH].due == 1


def test_over_30m_and_over_60m_are_strict() -> None:
    lengths = [1800, 1800.5, 3600, 3600.5, 0]
    s = summarize(W47, [bout(at(1, 9 + i), x) for i, x in enumerate(lengths)], [])
    sitting = s.totals.sitting
    assert (sitting.bouts_over_30m, sitting.bouts_over_60m) == (3, 1)
    assert sitting.bouts == 5 and sitting.median_bout_s == 1800.5
    assert sitting.longest_bout_s == 3600.5


def test_break_counts_adherence_and_latency_per_kind() -> None:
    breaks = [
        brk(at(0, 9), Outcome.TAKEN, latency=10, snoozes=1),
        brk(at(0, 10), Outcome.TAKEN, latency=30),
        brk(at(0, 11), Outcome.IGNORED, snoozes=2),
        brk(at(0, 12), Outcome.MERGED, shown=False),
        brk(at(0, 13), Outcome.MERGED),
        brk(at(2, 23), Outcome.SUPPRESSED, shown=False),
        brk(at(1, 9), Outcome.SKIPPED, kind=Kind.MOVEMENT),
        brk(at(1, 9), Outcome.SUPPRESSED, kind=Kind.MOVEMENT, shown=False),
    ]
    s = summarize(W47, [], breaks)
    stretch = to_json(s)["breaks"]["stretch"]
    assert stretch == {
        "due": 6,
        "shown": 4,
        "taken": 2,
        "skipped": 0,
        "ignored": 1,
        "merged": 2,
        "suppressed": 1,
        "pending": 0,
        "snoozes": 3,
        "adherence": 0.5,
        "median_latency_s": 20,
    }
    movement = to_json(s)["breaks"]["movement"]
    assert movement["adherence"] == 0.0 and movement["median_latency_s"] is None
    assert [(d.shown, d.taken) for d in s.days][:3] == [(4, 2), (1, 0), (0, 0)]


def test_nothing_shown_means_null_adherence_not_zero() -> None:
    s = summarize(W47, [], [brk(at(0, 9), Outcome.SUPPRESSED, shown=False)])
    data = to_json(s)
    assert data["breaks"]["stretch"]["adherence"] is None
    assert data["adherence"] is None
    assert data["best_day"] is None
    assert data["sitting"]["median_bout_s"] is None
    assert data["change"]["adherence"] is None


def test_best_day_is_the_best_followed_then_the_shorter_longest_bout() -> None:
    breaks = [
        brk(at(0, 9), Outcome.TAKEN),
        brk(at(0, 10), Outcome.IGNORED),
        brk(at(1, 9), Outcome.TAKEN),
        brk(at(2, 9), Outcome.TAKEN),
    ]
    bouts = [bout(at(1, 8), 4000), bout(at(2, 8), 2000)]
    assert to_json(summarize(W47, bouts, breaks))["best_day"] == "2026-11-18"


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("2026-W47", IsoWeek(2026, 47)),
        ("2026-W53", IsoWeek(2026, 53)),
        ("2027-W01", IsoWeek(2027, 1)),
    ],
)
def test_iso_weeks_parse(text: str, week: IsoWeek) -> None:
    assert IsoWeek.parse(text) == week
    assert str(week) == text


@pytest.mark.parametrize(
    "text",
    ["2026-W99", "2025-W53", "2026-W00", "2026-47", "W47", "2026-W7", "0000-W01", "9999-W52"],
)
def test_bad_weeks_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="bad week"):
        IsoWeek.parse(text)


def test_week_arithmetic_crosses_years() -> None:
    assert IsoWeek(2027, 1).shifted(-1) == IsoWeek(2026, 53)
    assert IsoWeek(2026, 53).monday == date(2026, 12, 28)
    assert IsoWeek.containing(date(2027, 1, 3)) == IsoWeek(2026, 53)


def test_headline_says_the_longest_time_without_a_break_not_stretch() -> None:
    bouts = [bout(at(1, 9), 6720), bout(at(0, 9), 3600), bout(at(-7, 9), 600)]
    breaks = [brk(at(0, 9), Outcome.TAKEN), brk(at(0, 10), Outcome.IGNORED)]
    title, body = headline(summarize(W47, bouts, breaks))
    assert "2026-W47" in title
    assert "Longest time without a break: 1 h 52 min on Tuesday." in body
    assert "longest stretch" not in body.lower()
    # 1 h 26 min a day over two days against 10 min on one: per day, not in total.
    assert "You sat 1 h 26 min a day on 2 days, 1 h 16 min more a day than the week before" in (
        body
    )
    assert body.endswith("Stretch breaks: 1 of 2 followed (50%).")


def test_headline_of_an_empty_week() -> None:
    assert headline(summarize(W47, [], []))[1] == "Nothing was recorded this week."


def test_bars_are_proportional_to_an_eighth_of_a_cell() -> None:
    assert bar(0, 10, 4) == "    "
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 4) == "██  "
    assert bar(1, 16, 2) == "▏ "


def test_text_colour_only_when_asked_and_80_columns() -> None:
    s = summarize(W47, [bout(at(i, 9), 3000 * (i + 1)) for i in range(7)], [])
    plain, coloured = render_text(s), render_text(s, color=True)
    assert "\033[" not in plain and "\033[" in coloured
    assert max(len(line) for line in plain.splitlines()) <= 80
