"""The weekly suggestion: each rule fires on a week made for it (and the rules before
it do not), the first rule that applies wins, none is medical advice, and
docs/summary.md lists the rules in the order the code tries them. Also the headline
that leads with movement and compares sitting per active day."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.store import BoutRow, BreakRow
from ergod.summary.contract import to_json
from ergod.summary.model import IsoWeek, WeekSummary, summarize
from ergod.summary.suggest import RULES, notification, suggest
from ergod.summary.wording import headline

BERLIN = ZoneInfo("Europe/Berlin")
W47 = IsoWeek(2026, 47)
DOCS = Path(__file__).parent.parent / "docs" / "summary.md"
# Words that would make a suggestion sound like a diagnosis or a treatment.
MEDICAL = re.compile(
    r"pain|injur|doctor|physio|diagnos|treat|cure|disease|symptom|risk|mortal|diabet|"
    r"health|heal|therap|prevent|medic",
    re.IGNORECASE,
)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 11, 16, tzinfo=BERLIN) + timedelta(days=day, hours=hour)


def bouts(*spec: tuple[int, float, float]) -> list[BoutRow]:
    """(day, start hour, minutes) -> rows."""
    return [BoutRow(0, at(d, h), at(d, h) + timedelta(minutes=m), m * 60.0) for d, h, m in spec]


def breaks(kind: Kind, taken: int, ignored: int) -> list[BreakRow]:
    outcomes = [Outcome.TAKEN] * taken + [Outcome.IGNORED] * ignored
    return [
        BreakRow(0, kind, at(i % 5, 9 + i / 10), at(i % 5, 9 + i / 10), 1, 0, o, None, 60.0, None)
        for i, o in enumerate(outcomes)
    ]


def week(rows: Sequence[BoutRow], brk: Sequence[BreakRow] = ()) -> WeekSummary:
    return summarize(W47, rows, brk, BERLIN)


SPREAD = ((0, 8, 40), (1, 12, 40), (2, 16, 40))  # three long bouts in three windows
SHORT = tuple((d, 9 + h, 20) for d in range(5) for h in range(6))  # 20-min bouts only

CASES = {
    "long_cluster": (
        week(bouts((0, 13.2, 45), (1, 13.3, 50), (2, 14.1, 70), (3, 9, 10))),
        ["Most bouts over 30 min (3 of 3) started between 13:00 and 15:00", "after lunch"],
    ),
    "long_cluster_morning": (
        week(bouts((0, 9.2, 45), (1, 9.7, 50), (2, 10.3, 70), (3, 16, 45))),
        ["(3 of 4) started between 09:00 and 11:00", "a short walk at 09:30"],
    ),
    "movement_missed": (
        week(bouts(*SPREAD), breaks(Kind.MOVEMENT, 1, 3)),
        ["3 of 4 movement breaks went by without you getting up"],
    ),
    "long_bout": (
        week(bouts((0, 8, 40), (1, 10, 150)), breaks(Kind.MOVEMENT, 2, 1)),
        ["Your longest time without a break was 2 h 30 min on Tuesday"],
    ),
    "stretch_not_movement": (
        week(bouts(*SHORT), breaks(Kind.STRETCH, 4, 0) + breaks(Kind.MOVEMENT, 1, 1)),
        ["You followed 100% of stretch breaks but 50% of movement breaks"],
    ),
    "keep_going": (week(bouts(*SHORT)), ["You broke up most of your sitting"]),
    "pick_a_block": (week(bouts(*SPREAD, (3, 9, 20))), ["Pick one part of the day"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_fires_on_its_week(case: str) -> None:
    summary, phrases = CASES[case]
    tip = suggest(summary)
    assert tip is not None
    assert tip.rule == case.removesuffix("_morning")
    for phrase in phrases:
        assert phrase in tip.text
    assert not MEDICAL.search(tip.text), tip.text
    assert to_json(summary)["suggestion"] == {"rule": tip.rule, "text": tip.text}


def test_every_rule_has_a_case() -> None:
    assert {c.removesuffix("_morning") for c in CASES} == {r.id for r in RULES}


def test_the_first_rule_that_applies_wins() -> None:
    # Clustered long bouts and movement breaks ignored: the cluster comes first.
    s = week(bouts((0, 13.2, 45), (1, 13.3, 50), (2, 14.1, 70)), breaks(Kind.MOVEMENT, 0, 5))
    assert [r.id for r in RULES if r.applies(s) is not None][:2] == [
        "long_cluster",
        "movement_missed",
    ]
    tip = suggest(s)
    assert tip is not None and tip.rule == "long_cluster"


def test_a_week_without_sitting_gets_no_suggestion() -> None:
    assert suggest(week([])) is None
    assert to_json(week([]))["suggestion"] is None


def test_docs_list_the_rules_in_order() -> None:
    text = DOCS.read_text()
    section = text[text.index("## The weekly suggestion") :]
    listed = re.findall(r"^\| \d+ \| `(\w+)` \|", section, re.MULTILINE)
    assert listed == [r.id for r in RULES]


def test_the_headline_leads_with_movement_and_compares_per_active_day() -> None:
    rows = bouts((0, 9, 40), (0, 11, 20), (1, 9, 60), (-7, 9, 30), (-6, 9, 30), (-5, 9, 30))
    brk = breaks(Kind.MOVEMENT, 1, 3) + breaks(Kind.STRETCH, 3, 1)
    title, body = headline(week(rows, brk))
    movement, stretch = body.split("\n")
    assert title == "Your week 2026-W47"
    assert movement.startswith("You got up for 1 of 4 movement breaks (25%). ")
    # 100 of 120 min in bouts over 30 min; the week before had none.
    assert "83% of your desk time was in bouts over 30 min without a break (0% the" in movement
    # 2 h over 2 days against 1 h 30 min over 3 days: per day, not in total.
    assert "You sat 1 h a day on 2 days, 30 min more a day than the week before." in (movement)
    assert movement.endswith("Longest time without a break: 1 h on Tuesday.")
    assert stretch == "Stretch breaks: 3 of 4 followed (75%)."
    assert "stretch" not in movement.lower()


def test_the_notification_adds_the_suggestion() -> None:
    summary = CASES["long_cluster"][0]
    title, body = notification(summary)
    assert title == "Your week 2026-W47"
    tip = suggest(summary)
    assert tip is not None
    assert body == headline(summary)[1] + "\n" + tip.text
    assert notification(week([]))[1] == "Nothing was recorded this week."
