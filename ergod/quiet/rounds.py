"""One round of probe answers, turned into the engine events that follow from it.

`ProbeStates` is the building block the daemon's quiet-time part calls: it
holds a `QuietState` (prompts held back) and an `AttendedState` (present
without input), asks each probe once per round, gives each answer to the
state(s) the probe feeds (`QuietProbe.quiet`, `.attended`), and returns the
events to send the engine at that moment, in this order:

* `attend_start` before `quiet_start` (a call begins: present, then quiet);
* `quiet_end` before `attend_end` (a call ends).

So a call (a probe that is both) gives `attend_start, quiet_start` and later
`quiet_end, attend_end`; a video (the inhibitor probe, attended only) gives
`attend_start` and `attend_end`; a do-not-disturb switch gives `quiet_*` only.

Threading contract: engine thread only, like the probes' `check()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ergod.core.attended import AttendedState
from ergod.core.model import EventKind
from ergod.core.quiet import QuietState
from ergod.quiet.base import QuietProbe


class ProbeStates:
    """Quiet time and attended time, fed by one round of probe answers at a time."""

    def __init__(self, quiet: QuietState | None = None) -> None:
        self.quiet = quiet or QuietState()
        self.attended = AttendedState()

    def round(
        self,
        now: float,
        probes: Iterable[QuietProbe] | None,
        *,
        outside_schedule: bool | None = None,
    ) -> list[EventKind]:
        """Ask `probes` (None: ask none, as for a pause or a schedule flip) and fold
        the answers in; the engine events at `now`, in the order to send them."""
        quiet_answers: dict[str, str | None] | None = None
        attended_answers: dict[str, str | None] | None = None
        if probes is not None:
            quiet_answers, attended_answers = {}, {}
            for probe in probes:
                answer = probe.check()
                if probe.quiet:
                    quiet_answers[probe.name] = answer
                if probe.attended:
                    attended_answers[probe.name] = answer
        quiet = self.quiet.update(now, quiet_answers, outside_schedule=outside_schedule)
        attended = None if attended_answers is None else self.attended.update(attended_answers)
        events: list[EventKind] = []
        if attended is not None and attended.started:
            events.append(attended.event)
        if quiet is not None:
            events.append(quiet.event)
        if attended is not None and not attended.started:
            events.append(attended.event)
        return events

    def session_ended(self) -> None:
        """A `lock` or `sleep` went to the engine, which ends attended time by itself."""
        self.attended.ended()

    def next_check(self, now: float) -> float | None:
        """The next moment a round is needed on its own (a pause ending, a recheck)."""
        moments = [m for m in (self.quiet.next_check(now), self.attended.next_check(now)) if m]
        return min(moments) if moments else None

    def reasons(self, now: float) -> dict[str, list[str]]:
        """For `status` and `doctor`: why prompts are held back, why the user counts as present."""
        return {"quiet": list(self.quiet.reasons(now)), "attended": list(self.attended.reasons())}
