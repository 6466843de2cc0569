"""The sitting clock: spec/sitting-clock.md as a pure state machine.

`Engine` takes timestamped events and returns effects as values. It never reads
a clock, sleeps, or calls out; the caller says what time it is. Its contract:

* `handle(t, events)` first evaluates every internal moment strictly before
  `t` (prompts falling due, breaks reaching their duration, deadlines, the end
  of a bout), then applies the events at `t` in order, then evaluates what
  falls due at `t`. Calls must come in non-decreasing `t`.
* `advance(t)` is `handle(t, ())`: let time pass.
* `next_wakeup()` is the next moment the engine has something to evaluate, or
  None when only an event can change anything. A driver that calls
  `advance(next_wakeup())` misses nothing.
* `phase(kind)` names where each kind's break is (`ergod.core.phases.Phase`);
  an `observer` given to the constructor hears every phase change. The phases
  and their transitions are the table `phases.EDGES`, drawn in
  docs/architecture.md.

The parts: `Sitting` (inputs, bouts, lock, sleep, attended time), `Breaks` (each
kind's phase and every transition), and this class, which owns time, quiet
time and the order of things at one moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ergod.core.breaks import Breaks, Context, Observer
from ergod.core.model import Bout, BoutEnded, BreakRecord, Effect, EventKind
from ergod.core.phases import KindView, Phase
from ergod.core.rules import KIND_ORDER, Kind, Rules
from ergod.core.sitting import Absence, Sitting

__all__ = ["Engine", "EngineView", "KindView"]


@dataclass(frozen=True)
class EngineView:
    """A read-only look at the engine at one moment."""

    at: float
    last_input: float | None
    sitting_since: float | None
    locked: bool
    asleep: bool
    quiet: bool
    kinds: tuple[KindView, ...]
    attended: bool = False


class Engine:
    """The sitting clock. One thread owns an Engine; it is not thread-safe."""

    def __init__(self, rules: Rules, observer: Observer | None = None) -> None:
        self._breaks = Breaks(rules, observer)
        self._sitting = Sitting()
        self._now: float | None = None
        self._quiet = False

    @property
    def rules(self) -> Rules:
        return self._breaks.rules

    @property
    def last_input(self) -> float | None:
        """The last input taken into account (inputs while locked are dropped).
        While attended the user counts as present at every moment: the
        engine's current time."""
        if self._sitting.attended and self._now is not None:
            return self._now
        return self._sitting.last_input

    @property
    def blocked(self) -> bool:
        """True while locked or asleep: inputs are dropped."""
        return self._sitting.blocked

    @property
    def attended(self) -> bool:
        """True in attended time: present without input, no absence in progress."""
        return self._sitting.attended

    def next_wakeup(self) -> float | None:
        first = self._breaks.next_moment(self._sitting.absence_start())
        bout_end = self._sitting.bout_ends_at(self.rules.break_after)
        if bout_end is None or (first is not None and first < bout_end):
            return first
        return bout_end

    def phase(self, kind: Kind) -> Phase:
        return self._breaks.phase(kind)

    def open_kind(self) -> Kind | None:
        """The kind whose break is open, if any (at most one is)."""
        return self._breaks.open_kind()

    def pending_records(self) -> list[BreakRecord]:
        """Records for the breaks still open, with outcome `pending`."""
        return self._breaks.pending_records()

    def current_bout(self) -> Bout | None:
        """The bout in progress (not yet ended by a natural break), if any."""
        start, last = self._sitting.sitting_since, self.last_input
        return None if start is None or last is None else Bout(start, last)

    def view(self, t: float) -> EngineView:
        s = self._sitting
        return EngineView(
            at=t,
            last_input=t if s.attended else s.last_input,
            sitting_since=s.sitting_since,
            locked=s.locked,
            asleep=s.asleep,
            quiet=self._quiet,
            kinds=tuple(self._breaks.view(kind) for kind in KIND_ORDER),
            attended=s.attended,
        )

    def advance(self, t: float) -> list[Effect]:
        return self.handle(t, ())

    def handle(self, t: float, events: Iterable[EventKind]) -> list[Effect]:
        if self._now is not None and t < self._now:
            raise ValueError(f"time went backwards: {t} after {self._now}")
        out: list[Effect] = []
        self._run_moments(t, inclusive=False, out=out)
        self._now = t
        for event in events:
            self._apply(t, event, out)
        self._run_moments(t, inclusive=True, out=out)
        return out

    def reconfigure(self, t: float, rules: Rules) -> list[Effect]:
        """Take new rules at `t` (a live reload); running clocks keep their restarts.

        A kind switched off loses its open break (recorded `suppressed`); a kind
        switched on starts its clock at `t` if the user is sitting, else at the
        next input.
        """
        out: list[Effect] = []
        sitting = self._sitting.last_input is not None and not self._sitting.bout_closed
        self._breaks.reconfigure(t, rules, sitting, out)
        return out

    def _apply(self, t: float, event: EventKind, out: list[Effect]) -> None:
        s = self._sitting
        if event is EventKind.INPUT or event is EventKind.ATTEND_START:
            # Dropped while locked or asleep; in attended time an input changes nothing.
            if not (s.blocked or s.attended):
                start = event is EventKind.ATTEND_START
                self._input(t, s.attend_start(t) if start else s.touch(t), out)
        elif event is EventKind.ATTEND_END:
            if s.attended:
                self._input(t, s.attend_end(t), out)
        elif event is EventKind.LOCK or event is EventKind.SLEEP:
            if s.attended:  # ends attended time, as an attend_end
                self._input(t, s.attend_end(t), out)
            if event is EventKind.LOCK:
                s.locked = True
            else:
                s.asleep = True
        elif event is EventKind.UNLOCK:
            s.locked = False
        elif event is EventKind.WAKE:
            s.asleep = False
        elif event is EventKind.SNOOZE:
            self._breaks.snooze(t)
        elif event is EventKind.SKIP:
            self._breaks.skip(t, out)
        elif event is EventKind.QUIET_START:
            self._quiet = True
        elif event is EventKind.QUIET_END:
            self._quiet = False
            self._breaks.quiet_ended(t)

    def _input(self, t: float, absence: Absence | None, out: list[Effect]) -> None:
        """An input at `t` ended `absence` (None: the day's first input)."""
        natural = absence is not None and absence.length >= self.rules.break_after
        self._breaks.input(t, absence, natural, out)
        if absence is not None and natural:
            ended = self._sitting.natural_break(absence)
            if ended is not None:
                out.append(BoutEnded(ended, t))

    def _run_moments(self, t: float, *, inclusive: bool, out: list[Effect]) -> None:
        while True:
            m = self.next_wakeup()
            if m is None or m > t or (m == t and not inclusive):
                return
            self._now = m
            self._evaluate(m, out)

    def _evaluate(self, m: float, out: list[Effect]) -> None:
        """Everything due at `m`: taken, then deadlines, then prompts."""
        s = self._sitting
        self._breaks.reached(m, s.absence_start(), out)
        self._breaks.deadlines(m, s.attended, out)
        bout_end = s.bout_ends_at(self.rules.break_after)
        if bout_end is not None and bout_end <= m:
            out.append(BoutEnded(s.close_bout(), m))
        ctx = Context(quiet=self._quiet, idle=s.idle(m), sitting_since=s.sitting_since)
        for kind in KIND_ORDER:
            self._breaks.prompt(kind, m, ctx, out)
