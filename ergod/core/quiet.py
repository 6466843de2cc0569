"""Quiet time as state: every reason prompts must wait, and when the answer flips.

Pure: `QuietState` combines the probes' answers (`ergod.quiet`), the user's
pause (optionally until a moment) and "outside the schedule"
(`ergod.core.schedule`), and says when quiet time starts or ends
(`Transition`), so the daemon sends the engine exactly one QUIET_START or
QUIET_END per flip. Moments are the engine's clock readings, passed in.
`bounded_pause` applies `[quiet] max_pause` (policy's bound on `ergod pause`)
to a requested pause before it reaches `QuietState.pause`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ergod.core.model import EventKind

RECHECK = 60.0
"""Seconds between probe checks while a probe holds quiet time on: the only timer."""

PAUSED = "paused"
OUTSIDE_SCHEDULE = "outside the schedule"


@dataclass(frozen=True)
class PauseGrant:
    """A pause as granted: `seconds` (None: until resume) and whether it was shortened."""

    seconds: float | None
    shortened: bool


def bounded_pause(requested: float | None, max_pause: float) -> PauseGrant:
    """The pause to grant for `requested` seconds (None: until resume).

    `max_pause` is `[quiet] max_pause`: 0 grants any pause; otherwise a longer
    pause, and one until resume, last `max_pause` seconds.
    """
    if max_pause <= 0 or (requested is not None and requested <= max_pause):
        return PauseGrant(requested, False)
    return PauseGrant(max_pause, True)


@dataclass(frozen=True)
class Transition:
    """Quiet time (or, with `attended`, attended time) started, with its reasons, or ended."""

    started: bool
    reasons: tuple[str, ...]
    attended: bool = False

    @property
    def event(self) -> EventKind:
        if self.attended:
            return EventKind.ATTEND_START if self.started else EventKind.ATTEND_END
        return EventKind.QUIET_START if self.started else EventKind.QUIET_END


class QuietState:
    """Every reason for quiet time, and whether the whole answer flipped.

    Pure: moments are the daemon's clock readings (seconds, the engine's
    clock), passed in. `pause(until)` (None: until `resume()`) and the probes'
    and schedule's answers are recorded; `update(now, ...)` folds them
    together and returns a `Transition` only when quiet time starts or ends.
    A timed pause that has run out by `now` counts as resumed.
    """

    def __init__(self) -> None:
        self._probes: dict[str, str] = {}
        self._outside = False
        self._paused_until: float | None = None
        self._quiet = False

    @property
    def quiet(self) -> bool:
        """The answer as of the last `update()`."""
        return self._quiet

    @property
    def paused_until(self) -> float | None:
        """When the pause ends (inf: until resumed), or None if not paused."""
        return self._paused_until

    def reasons(self, now: float) -> tuple[str, ...]:
        """Why prompts are held back at `now`: pause, schedule, then each probe."""
        found: list[str] = []
        if self._paused_until is not None and now < self._paused_until:
            found.append(PAUSED)
        if self._outside:
            found.append(OUTSIDE_SCHEDULE)
        found.extend(self._probes.values())
        return tuple(found)

    def pause(self, until: float | None = None) -> None:
        self._paused_until = float("inf") if until is None else until

    def resume(self) -> None:
        self._paused_until = None

    def update(
        self,
        now: float,
        probes: Mapping[str, str | None] | None = None,
        *,
        outside_schedule: bool | None = None,
    ) -> Transition | None:
        """Record what changed (None: as before) and say whether quiet time flipped."""
        if probes is not None:
            self._probes = {name: reason for name, reason in probes.items() if reason}
        if outside_schedule is not None:
            self._outside = outside_schedule
        if self._paused_until is not None and now >= self._paused_until:
            self._paused_until = None
        reasons = self.reasons(now)
        quiet = bool(reasons)
        if quiet == self._quiet:
            return None
        self._quiet = quiet
        return Transition(started=quiet, reasons=reasons)

    def next_check(self, now: float) -> float | None:
        """When the daemon should call `update()` next on its own, or None.

        The end of a timed pause, and `RECHECK` seconds on while a probe holds
        quiet time on (the probes cannot tell when they stop). Schedule
        boundaries come from `ergod.core.schedule.next_boundary`.
        """
        moments: list[float] = []
        if self._paused_until is not None and self._paused_until != float("inf"):
            moments.append(self._paused_until)
        if self._probes:
            moments.append(now + RECHECK)
        return min(moments) if moments else None
