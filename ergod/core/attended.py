"""Attended time as state: whether any probe says the user is at the desk without input.

Pure, like `ergod.core.quiet.QuietState`: the attended probes' answers (a call,
an idle inhibitor; `ergod.quiet`) go in, and a `Transition` comes out only when
attended time starts or ends, so the daemon sends the engine exactly one
ATTEND_START or ATTEND_END per flip (spec section 6). The engine ends attended
time itself on `lock` and `sleep`; the daemon then calls `ended()`, so the
next answer that still says "attended" (the call goes on after the unlock)
starts it again.
"""

from __future__ import annotations

from collections.abc import Mapping

from ergod.core.quiet import Transition

RECHECK = 5.0
"""Seconds between probe checks while attended: how soon the end of a call is seen."""


class AttendedState:
    """Every reason the user counts as present without input, and when that flips."""

    def __init__(self) -> None:
        self._reasons: dict[str, str] = {}
        self._attended = False

    @property
    def attended(self) -> bool:
        """The answer as of the last `update()`."""
        return self._attended

    def reasons(self) -> tuple[str, ...]:
        """Why the user counts as present ("in a call: microphone in use by zoom")."""
        return tuple(self._reasons.values())

    def update(self, answers: Mapping[str, str | None]) -> Transition | None:
        """Record the probes' answers by name; say whether attended time flipped."""
        self._reasons = {name: reason for name, reason in answers.items() if reason}
        attended = bool(self._reasons)
        if attended == self._attended:
            return None
        self._attended = attended
        return Transition(started=attended, reasons=self.reasons(), attended=True)

    def ended(self) -> None:
        """The engine ended attended time (lock, sleep): forget it was on."""
        self._attended = False

    def next_check(self, now: float) -> float | None:
        """When the daemon should ask the probes again on its own, or None."""
        return now + RECHECK if self._attended else None
