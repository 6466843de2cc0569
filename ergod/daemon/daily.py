"""`sitting.daily_limit`: a soft notice once the day's active time reaches it.

Active time is the sum of the day's activity spans (the same spans the
adherence log keeps: from a return to the last input before an absence of the
engine's watch threshold), the span in progress included, counted from local
midnight. At start the day's earlier spans and whether the notice was already
shown today are read from the store, so a restart neither forgets the morning
nor shows the notice twice. The notice is shown at most once per local day
and recorded in the store (`daemon_events`, event `daily_limit`).

In schedule-only mode nothing is measured, so there is no notice and `status`
shows the active time as unknown.

Threading contract: engine thread only. Times are the engine's clock readings;
`local` turns them into aware local times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ergod.notify.base import Message

TITLE = "Daily limit reached"


def daily_notice(active: float, timeout: float) -> Message:
    """The soft notice: how long today, and a suggestion, no buttons."""
    from ergod.durations import human_duration

    spent = human_duration(active)
    return Message(
        title=TITLE,
        body=(
            f"You have been active at the computer for {spent} today, your daily limit "
            "(sitting.daily_limit). Plan some of the rest of the day away from the desk."
        ),
        timeout=timeout,
    )


Notice = Callable[[float, float], None]
"""Shows and records the notice: (now, active seconds)."""
Earlier = Callable[[datetime, datetime], tuple[float, datetime | None]]
"""(active seconds, when the notice was shown or None), stored between two
local times before this run."""


@dataclass(frozen=True)
class DailyView:
    """The daily limit for `ergod status`; `active` None when not measured."""

    limit: float
    active: float | None
    reached_at: float | None


class DailyLimit:
    """Today's active time and the once-a-day notice; see the module docstring."""

    def __init__(
        self,
        limit: float,
        local: Callable[[float], datetime],
        notice: Notice,
        earlier: Earlier,
    ) -> None:
        self.limit = limit
        self._local = local
        self._notice = notice
        self._earlier = earlier
        self._day: date | None = None
        self._day_start = 0.0  # local midnight on the engine's clock
        self._closed = 0.0  # active seconds of today's closed spans
        self._span: float | None = None  # start of the span in progress
        self._last: float | None = None  # its last input so far
        self._reached: float | None = None

    # ---- spans (the activity link's SpanListener) --------------------------

    def activity_resumed(self, last_input: float) -> None:
        if self._span is None:
            self._span = last_input
        self._last = last_input

    def absence_began(self, last_input: float | None) -> None:
        if self._span is not None and last_input is not None:
            self._roll(last_input)
            self._closed += self._today_part(self._span, last_input)
        self._span = None
        self._last = None

    # ---- the day -----------------------------------------------------------

    def active(self, t: float, last_input: float | None) -> float:
        """Active seconds today as of `t`, the span in progress up to `last_input`."""
        self._roll(t)
        total = self._closed
        if self._span is not None:
            end = max(x for x in (self._last, last_input, self._span) if x is not None)
            total += self._today_part(self._span, min(end, t))
        return total

    def check(self, t: float, last_input: float | None) -> None:
        """Show the notice if today's active time reached the limit (once a day)."""
        if self.limit <= 0:
            return
        active = self.active(t, last_input)
        if self._reached is None and active >= self.limit:
            self._reached = t
            self._notice(t, active)

    def view(self, t: float, last_input: float | None, *, measuring: bool) -> DailyView | None:
        if self.limit <= 0:
            return None
        active = self.active(t, last_input) if measuring else None
        return DailyView(self.limit, active, self._reached)

    def _roll(self, t: float) -> None:
        """At the first reading of a new local day: start the day afresh."""
        local = self._local(t)
        if local.date() == self._day:
            return
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        first = self._day is None
        self._day = local.date()
        # Through timestamps: an aware difference in one zone ignores a DST change.
        self._day_start = t - (local.timestamp() - midnight.timestamp())
        # Only before this run's own spans: later days start from nothing.
        self._closed, shown = (
            self._earlier(midnight, midnight + timedelta(days=1)) if first else (0.0, None)
        )
        self._reached = None if shown is None else t - (local.timestamp() - shown.timestamp())

    def _today_part(self, start: float, end: float) -> float:
        return max(0.0, end - max(start, self._day_start))
