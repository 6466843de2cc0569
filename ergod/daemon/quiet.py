"""Quiet-time control: the pause, the schedule and the probes, folded into engine events.

`QuietControl` holds `ProbeStates` (`ergod.quiet.rounds`: the pure
`QuietState` and `AttendedState`), the probes `[quiet]` and `[activity]
inhibitors` ask for (`ergod.quiet`) and `[schedule]`. `update(t, ask_probes=)`
reads the schedule at the local time and, when asked, the probes, and returns
the engine events that follow, in the order to send them (attend_start before
quiet_start, quiet_end before attend_end: a call is present time, spec
section 6). The daemon asks the probes at each tick (its one-shot wake-ups),
never on a timer of their own.
After a lock or sleep went to the engine (which ends attended time by itself)
the daemon calls `session_ended()`, so a call still on after the unlock sends
attend_start again.

`next_check(now)` is when the daemon must look again by itself: the end of a
timed pause, the probes' recheck while they hold quiet time (60 s) or
attended time (5 s), and the next
schedule boundary in the local zone (a one-shot placed anew after every job,
not a cron job: APScheduler 3's cron can skip or repeat a fire time across
DST, apscheduler#529 and #1021).

Threading contract: engine thread only; `close` at shutdown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ergod.core.model import EventKind
from ergod.core.schedule import inside, next_boundary
from ergod.quiet.rounds import ProbeStates

if TYPE_CHECKING:
    from ergod.config.schema import ScheduleConfig
    from ergod.quiet import QuietProbe


class QuietControl:
    """Pause, schedule and probes; see the module docstring."""

    def __init__(
        self,
        probes: Sequence[QuietProbe],
        schedule: ScheduleConfig,
        local_now: Callable[[], datetime],
    ) -> None:
        self._states = ProbeStates()
        self._state = self._states.quiet
        self._asked_at: float | None = None  # the last round that asked the probes
        self._probes = list(probes)
        self._schedule = schedule
        self._local_now = local_now

    @property
    def quiet(self) -> bool:
        return self._state.quiet

    @property
    def paused_until(self) -> float | None:
        """When the pause ends (inf: until resumed), or None if not paused."""
        return self._state.paused_until

    @property
    def attended(self) -> bool:
        """A probe says the user is present without input (a call, a video)."""
        return self._states.attended.attended

    def reasons(self, t: float) -> tuple[str, ...]:
        return self._state.reasons(t)

    def attended_reasons(self) -> tuple[str, ...]:
        return self._states.attended.reasons()

    def update(self, t: float, *, ask_probes: bool) -> list[EventKind]:
        """Fold the schedule, the pause and (when asked) the probes together;
        the engine events at `t`, in order."""
        outside = not inside(self._schedule, self._local_now())
        probes = self._probes if ask_probes else None
        if ask_probes:
            self._asked_at = t
        return self._states.round(t, probes, outside_schedule=outside)

    def session_ended(self) -> None:
        """A lock or sleep went to the engine: attended time is over there."""
        self._states.session_ended()

    def pause(self, t: float, seconds: float | None) -> list[EventKind]:
        """Pause for `seconds` from `t` (None: until `resume`)."""
        self._state.pause(None if seconds is None else t + seconds)
        return self.update(t, ask_probes=False)

    def resume(self, t: float) -> tuple[bool, list[EventKind]]:
        """End a pause: (whether there was one, the transition)."""
        was = self._state.paused_until is not None
        self._state.resume()
        return was, self.update(t, ask_probes=False)

    def next_check(self, now: float) -> float | None:
        """When to call `update` next without being asked (engine clock)."""
        # The probes' recheck counts from the last round that asked them, not
        # from `now`: the daemon places its one-shot after every job, and jobs
        # coming more often than the recheck (status calls) must not push it on.
        asked = now if self._asked_at is None else min(now, self._asked_at)
        checks = (self._states.next_check(asked), self._schedule_flip(now))
        moments = [m for m in checks if m is not None]
        return min(moments) if moments else None

    def _schedule_flip(self, now: float) -> float | None:
        local = self._local_now()
        flip = next_boundary(self._schedule, local)
        if flip is None:
            return None
        return now + max(0.0, (flip - local).total_seconds())

    def reconfigure(self, schedule: ScheduleConfig, probes: Sequence[QuietProbe]) -> None:
        """A reload: the new schedule and probes (the old probes are closed)."""
        self.close()
        self._schedule = schedule
        self._probes = list(probes)

    def close(self) -> None:
        for probe in self._probes:
            with contextlib.suppress(Exception):
                probe.close()
