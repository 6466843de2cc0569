"""The user's side of the sitting clock: inputs, absences, bouts, attended time.

`Sitting` keeps what spec sections 1, 2 and 6 say about the user: the last
input, the bout in progress, whether the screen is locked, the machine asleep,
or the user attended (at the desk without input). It decides nothing about
breaks; the engine tells it what happened and asks it what follows. Pure: times
are passed in.

While attended, no absence is in progress (`absence_start()` is None, `idle()`
is 0): `attend_start` and `attend_end` act as inputs at their moments, inputs in
between change nothing, and the bout runs through.
"""

from __future__ import annotations

from dataclasses import dataclass

from ergod.core.model import Bout


@dataclass(frozen=True)
class Absence:
    """The time between two consecutive inputs."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


class Sitting:
    """Inputs, bouts, lock, sleep and attended time. One owner: the engine."""

    def __init__(self) -> None:
        self.last_input: float | None = None
        self.bout_start: float | None = None
        self.bout_closed = False  # the absence in progress is already a natural break
        self.locked = False
        self.asleep = False
        self.attended = False

    @property
    def blocked(self) -> bool:
        """True while locked or asleep: inputs are dropped."""
        return self.locked or self.asleep

    @property
    def sitting_since(self) -> float | None:
        """The start of the bout in progress, if one is."""
        return None if self.bout_closed else self.bout_start

    def absence_start(self) -> float | None:
        """Where the absence in progress began: None before the first input and
        while attended (no absence is in progress then)."""
        return None if self.attended else self.last_input

    def idle(self, m: float) -> float | None:
        """`idle(m)` of the spec; None before the first input."""
        if self.attended:
            return 0.0
        return None if self.last_input is None else m - self.last_input

    def touch(self, t: float) -> Absence | None:
        """An input at `t` (the caller drops it while blocked or attended).
        Returns the absence it ends; None for the day's first input."""
        prev = self.last_input
        self.last_input = t
        if prev is None:
            self.bout_start = t
            return None
        return Absence(prev, t)

    def attend_start(self, t: float) -> Absence | None:
        """Attended time starts at `t`: an input there, then no absence until it
        ends. The caller drops it while blocked and ignores it while attended."""
        absence = self.touch(t)
        self.attended = True
        return absence

    def attend_end(self, t: float) -> Absence:
        """Attended time ends at `t` (an `attend_end`, a lock, a sleep): an input
        at `t` that ends no absence (the one it returns is empty)."""
        self.attended = False
        self.last_input = t
        return Absence(t, t)

    def natural_break(self, absence: Absence) -> Bout | None:
        """`absence` was a natural break: a new bout starts at its end. Returns
        the bout it ended, unless that was already reported (`close_bout`)."""
        ended = None if self.bout_closed else self.bout(absence.start)
        self.bout_start = absence.end
        self.bout_closed = False
        return ended

    def bout_ends_at(self, break_after: float) -> float | None:
        """When the absence in progress becomes a natural break, if it can."""
        start = self.absence_start()
        if start is None or self.bout_closed:
            return None
        return start + break_after

    def close_bout(self) -> Bout:
        """The absence in progress reached `break_after`: the bout is over."""
        assert self.last_input is not None
        self.bout_closed = True
        return self.bout(self.last_input)

    def bout(self, end: float) -> Bout:
        assert self.bout_start is not None
        return Bout(self.bout_start, end)
