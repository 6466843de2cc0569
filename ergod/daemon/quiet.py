"""Quiet-time control: the pause, the schedule and the probes, folded into one answer.

`QuietControl` holds the pure `QuietState` (`ergod.core.quiet`), the probes
`[quiet]` asks for (`ergod.quiet`) and `[schedule]`. `update(t, ask_probes=)`
reads the schedule at the local time and, when asked, the probes, and returns
the `Transition` when quiet time starts or ends, which the daemon hands the
engine as QUIET_START or QUIET_END. The probes are asked only when the engine
has something due (or while they hold quiet time on), never on a timer of
their own.

`next_check(now)` is when the daemon must look again by itself: the end of a
timed pause, the probes' recheck while they hold quiet time, and the next
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

from ergod.core.quiet import QuietState, Transition
from ergod.core.schedule import inside, next_boundary

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
        self._state = QuietState()
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

    def reasons(self, t: float) -> tuple[str, ...]:
        return self._state.reasons(t)

    def update(self, t: float, *, ask_probes: bool) -> Transition | None:
        """Fold the schedule, the pause and (when asked) the probes together."""
        from ergod.quiet import ask

        outside = not inside(self._schedule, self._local_now())
        answers = ask(self._probes) if ask_probes else None
        return self._state.update(t, answers, outside_schedule=outside)

    def pause(self, t: float, seconds: float | None) -> Transition | None:
        """Pause for `seconds` from `t` (None: until `resume`)."""
        self._state.pause(None if seconds is None else t + seconds)
        return self.update(t, ask_probes=False)

    def resume(self, t: float) -> tuple[bool, Transition | None]:
        """End a pause: (whether there was one, the transition)."""
        was = self._state.paused_until is not None
        self._state.resume()
        return was, self.update(t, ask_probes=False)

    def next_check(self, now: float) -> float | None:
        """When to call `update` next without being asked (engine clock)."""
        checks = (self._state.next_check(now), self._schedule_flip(now))
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
