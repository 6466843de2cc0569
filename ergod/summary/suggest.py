"""One concrete suggestion a week, chosen by fixed rules from the week's figures.

Contract: `RULES` are tried in order and the first that applies gives the
week's `Suggestion` (its rule id and text); a week with no bout gets none.
`notification(summary)` is the weekly notification: the headline, then the
suggestion.
Each rule reads only the summary's figures; its words come from
ergod/summary/wording.py. The suggestions are about when to get up, never
medical advice. docs/summary.md lists the rules in this order, with the same
ids (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ergod.core.rules import Kind
from ergod.i18n import _
from ergod.summary import wording
from ergod.summary.hours import busiest_window
from ergod.summary.model import WeekSummary

# Thresholds, named where docs/summary.md states them.
CLUSTER_MIN_BOUTS = 3  # bouts over 30 min before a cluster means anything
LUNCH_HOURS = (12, 13)  # a window starting here is "after lunch"
MOVEMENT_MIN_SHOWN = 3
MOVEMENT_LOW = 0.5
LONG_BOUT_S = 2 * 3600.0
STRETCH_GAP = 0.25
KEEP_GOING_SHARE = 0.25


@dataclass(frozen=True)
class Suggestion:
    rule: str
    text: str


@dataclass(frozen=True)
class Rule:
    id: str
    applies: Callable[[WeekSummary], str | None]  # the text, or None


def _long_cluster(s: WeekSummary) -> str | None:
    sitting = s.totals.sitting
    window = busiest_window(sitting.long_starts_by_hour)
    if sitting.bouts_over_30m < CLUSTER_MIN_BOUTS or window is None:
        return None
    if 2 * window.count < window.total:
        return None
    return wording.tip_long_cluster(window, after_lunch=window.first in LUNCH_HOURS)


def _movement_missed(s: WeekSummary) -> str | None:
    movement = s.totals.breaks[Kind.MOVEMENT]
    if movement.shown < MOVEMENT_MIN_SHOWN or (movement.adherence or 0.0) >= MOVEMENT_LOW:
        return None
    return wording.tip_movement_missed(movement.taken, movement.shown)


def _long_bout(s: WeekSummary) -> str | None:
    day = max(s.days, key=lambda d: (d.longest_bout_s, -d.date.toordinal()))
    if day.longest_bout_s <= LONG_BOUT_S:
        return None
    return wording.tip_long_bout(day.longest_bout_s, day.date)


def _stretch_not_movement(s: WeekSummary) -> str | None:
    stretch = s.totals.breaks[Kind.STRETCH].adherence
    movement = s.totals.breaks[Kind.MOVEMENT].adherence
    if stretch is None or movement is None or stretch - movement < STRETCH_GAP:
        return None
    return wording.tip_stretch_not_movement(stretch, movement)


def _keep_going(s: WeekSummary) -> str | None:
    share = s.totals.sitting.long_share
    return _(wording.TIP_KEEP_GOING) if share is not None and share < KEEP_GOING_SHARE else None


def _pick_a_block(s: WeekSummary) -> str | None:
    return _(wording.TIP_PICK_A_BLOCK)


RULES: tuple[Rule, ...] = (
    Rule("long_cluster", _long_cluster),
    Rule("movement_missed", _movement_missed),
    Rule("long_bout", _long_bout),
    Rule("stretch_not_movement", _stretch_not_movement),
    Rule("keep_going", _keep_going),
    Rule("pick_a_block", _pick_a_block),
)


def suggest(summary: WeekSummary) -> Suggestion | None:
    """The week's suggestion: the first rule that applies; None for a week with no bout."""
    if summary.totals.sitting.bouts == 0:
        return None
    for rule in RULES:
        text = rule.applies(summary)
        if text is not None:
            return Suggestion(rule.id, text)
    return None


def notification(summary: WeekSummary) -> tuple[str, str]:
    """The weekly notification: the headline and the week's suggestion."""
    title, body = wording.headline(summary)
    tip = suggest(summary)
    return title, body if tip is None else f"{body}\n{tip.text}"
