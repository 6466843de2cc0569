"""The sitting clock: spec/sitting-clock.md as a pure state machine.

`Engine` takes timestamped events and returns effects as values. It never reads
a clock, sleeps, or calls out; the caller says what time it is. Its contract:

* `handle(t, events)` first evaluates every internal moment strictly before
  `t` (prompts falling due, breaks reaching their duration, deadlines), then
  applies the events at `t` in order, then evaluates what falls due at `t`.
  Calls must come in non-decreasing `t`.
* `advance(t)` is `handle(t, ())`: let time pass.
* `next_wakeup()` is the next moment the engine has something to evaluate, or
  None when only an event can change anything. A driver that calls
  `advance(next_wakeup())` misses nothing.

Each kind of break is in one of four phases: its clock runs (`due` moment
known), it is halted (waiting for an input after a taken break, for quiet time
to end, or disabled), its first prompt is waiting for the user's return, or its
break is open. See docs/architecture.md for the state diagram.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from ergod.core.model import (
    Bout,
    BoutEnded,
    BreakRecord,
    BreakResolved,
    Effect,
    EventKind,
    Outcome,
    ShowPrompt,
)
from ergod.core.rules import KIND_ORDER, Kind, Rules


class Halt(str, Enum):
    """Why a kind's clock is not running."""

    INPUT = "input"  # restarts at the next input (start of day, after `taken`)
    QUIET = "quiet"  # restarts when quiet time ends
    OFF = "off"  # the kind is disabled


@dataclass
class _OpenBreak:
    due: float
    first_prompt: float
    exercise: str | None
    last_prompt: float
    prompts: int = 1
    regular: int = 1
    snoozes: int = 0
    next_prompt: float | None = None  # a scheduled prompt, regular or snoozed
    next_snoozed: bool = False
    prompt_waiting: bool = False  # fell due while away: shown at the next input
    deadline: float | None = None
    deadline_passed: float | None = None  # deciding absence still in progress


@dataclass
class _KindState:
    restart: float | None = None  # clock running: due at restart + every
    halt: Halt | None = Halt.INPUT
    waiting_due: float | None = None  # first prompt due, waiting for input
    waiting_show: float | None = None  # ...and the input came: show at this moment
    open: _OpenBreak | None = None
    rotation: int = 0


@dataclass(frozen=True)
class KindView:
    """A read-only look at one kind, for `ergod status`."""

    kind: Kind
    enabled: bool
    next_due: float | None
    waiting_since: float | None
    open_since: float | None
    prompts: int
    snoozes: int
    next_prompt: float | None


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


class Engine:
    """The sitting clock. One thread owns an Engine; it is not thread-safe."""

    def __init__(self, rules: Rules) -> None:
        self._rules = rules
        self._now: float | None = None
        self._last_input: float | None = None
        self._bout_start: float | None = None
        self._bout_closed = False
        self._locked = False
        self._asleep = False
        self._quiet = False
        self._kinds = {k: _KindState() for k in KIND_ORDER}
        for kind in KIND_ORDER:
            if not rules.kind(kind).enabled:
                self._kinds[kind].halt = Halt.OFF

    # ---- queries -------------------------------------------------------

    @property
    def rules(self) -> Rules:
        return self._rules

    @property
    def last_input(self) -> float | None:
        """The last input taken into account (inputs while locked are dropped)."""
        return self._last_input

    @property
    def blocked(self) -> bool:
        """True while locked or asleep: inputs are dropped."""
        return self._locked or self._asleep

    def next_wakeup(self) -> float | None:
        return self._next_moment()

    def open_kind(self) -> Kind | None:
        """The kind whose break is open, if any (at most one is)."""
        for kind in KIND_ORDER:
            if self._kinds[kind].open is not None:
                return kind
        return None

    def pending_records(self) -> list[BreakRecord]:
        """Records for the breaks still open, with outcome `pending`."""
        records = []
        for kind in KIND_ORDER:
            brk = self._kinds[kind].open
            if brk is not None:
                records.append(self._record(kind, brk, Outcome.PENDING, None, None))
        return records

    def current_bout(self) -> Bout | None:
        """The bout in progress (not yet ended by a natural break), if any."""
        if self._bout_start is None or self._last_input is None or self._bout_closed:
            return None
        return Bout(self._bout_start, self._last_input)

    def view(self, t: float) -> EngineView:
        kinds = []
        for kind in KIND_ORDER:
            st = self._kinds[kind]
            brk = st.open
            kinds.append(
                KindView(
                    kind=kind,
                    enabled=self._rules.kind(kind).enabled,
                    next_due=self._due_moment(kind),
                    waiting_since=st.waiting_due,
                    open_since=brk.first_prompt if brk else None,
                    prompts=brk.prompts if brk else 0,
                    snoozes=brk.snoozes if brk else 0,
                    next_prompt=brk.next_prompt if brk else None,
                )
            )
        sitting = None if self._bout_closed else self._bout_start
        return EngineView(
            at=t,
            last_input=self._last_input,
            sitting_since=sitting,
            locked=self._locked,
            asleep=self._asleep,
            quiet=self._quiet,
            kinds=tuple(kinds),
        )

    # ---- driving -------------------------------------------------------

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
        old = self._rules
        self._rules = rules
        for kind in KIND_ORDER:
            was, now = old.kind(kind).enabled, rules.kind(kind).enabled
            st = self._kinds[kind]
            if was and not now:
                if st.open is not None:
                    self._resolve(kind, Outcome.SUPPRESSED, t, None, out)
                self._kinds[kind] = _KindState(halt=Halt.OFF, rotation=st.rotation)
            elif now and not was:
                sitting = self._last_input is not None and not self._bout_closed
                if sitting:
                    self._restart(kind, t)
                else:
                    st.halt = Halt.INPUT
        return out

    # ---- events --------------------------------------------------------

    def _apply(self, t: float, event: EventKind, out: list[Effect]) -> None:
        if event is EventKind.INPUT:
            if not self.blocked:
                self._input(t, out)
        elif event is EventKind.LOCK:
            self._locked = True
        elif event is EventKind.UNLOCK:
            self._locked = False
        elif event is EventKind.SLEEP:
            self._asleep = True
        elif event is EventKind.WAKE:
            self._asleep = False
        elif event is EventKind.SNOOZE:
            self._snooze(t)
        elif event is EventKind.SKIP:
            kind = self.open_kind()
            if kind is not None:
                self._resolve(kind, Outcome.SKIPPED, t, None, out)
                self._restart(kind, t)
        elif event is EventKind.QUIET_START:
            self._quiet = True
        elif event is EventKind.QUIET_END:
            self._quiet = False
            for kind in KIND_ORDER:
                if self._kinds[kind].halt is Halt.QUIET:
                    self._restart(kind, t)

    def _input(self, t: float, out: list[Effect]) -> None:
        prev = self._last_input
        self._last_input = t
        if prev is None:
            self._bout_start = t
            for kind in KIND_ORDER:
                if self._kinds[kind].halt is Halt.INPUT:
                    self._restart(kind, t)
            return
        absence = t - prev
        natural = absence >= self._rules.break_after
        for kind in KIND_ORDER:
            st = self._kinds[kind]
            brk = st.open
            if brk is None:
                continue
            duration = self._rules.kind(kind).duration
            if absence >= duration:
                # Only an absence of exactly `duration` gets here: longer ones
                # were taken at their moment, before this input.
                self._take(kind, prev, out)
            elif brk.deadline_passed is not None:
                deadline = brk.deadline_passed
                self._resolve(kind, Outcome.IGNORED, deadline, None, out)
                self._restart(kind, deadline)
        if natural:
            if not self._bout_closed:
                out.append(BoutEnded(self._bout(prev), t))
            self._bout_start = t
            self._bout_closed = False
        for kind in KIND_ORDER:
            st = self._kinds[kind]
            rules = self._rules.kind(kind)
            if st.halt is Halt.INPUT:
                self._restart(kind, t)
            elif st.waiting_due is not None:
                if absence >= rules.duration or natural:
                    self._restart(kind, t)
                else:
                    st.waiting_show = t
            elif st.open is not None:
                if st.open.prompt_waiting:
                    st.open.prompt_waiting = False
                    st.open.next_prompt = t
            elif natural and st.halt is None:
                self._restart(kind, t)

    def _snooze(self, t: float) -> None:
        kind = self.open_kind()
        if kind is None:
            return
        brk = self._kinds[kind].open
        assert brk is not None
        rules = self._rules.kind(kind)
        if brk.snoozes >= rules.max_snoozes:
            return
        brk.snoozes += 1
        brk.next_prompt = t + rules.snooze
        brk.next_snoozed = True
        brk.prompt_waiting = False
        brk.deadline = None
        brk.deadline_passed = None

    # ---- moments -------------------------------------------------------

    def _due_moment(self, kind: Kind) -> float | None:
        st = self._kinds[kind]
        if st.restart is None:
            return None
        return st.restart + self._rules.kind(kind).every

    def _next_moment(self) -> float | None:
        moments: list[float] = []
        if self._last_input is not None and not self._bout_closed:
            moments.append(self._last_input + self._rules.break_after)
        for kind in KIND_ORDER:
            st = self._kinds[kind]
            due = self._due_moment(kind)
            if due is not None:
                moments.append(due)
            if st.waiting_show is not None:
                moments.append(st.waiting_show)
            brk = st.open
            if brk is not None:
                if self._last_input is not None:
                    moments.append(self._last_input + self._rules.kind(kind).duration)
                if brk.next_prompt is not None:
                    moments.append(brk.next_prompt)
                if brk.deadline is not None:
                    moments.append(brk.deadline)
        return min(moments) if moments else None

    def _run_moments(self, t: float, *, inclusive: bool, out: list[Effect]) -> None:
        while True:
            m = self._next_moment()
            if m is None or m > t or (m == t and not inclusive):
                return
            self._now = m
            self._evaluate(m, out)

    def _evaluate(self, m: float, out: list[Effect]) -> None:
        """Everything due at `m`: taken, then deadlines, then prompts."""
        last = self._last_input
        for kind in KIND_ORDER:
            brk = self._kinds[kind].open
            reached = last is not None and last + self._rules.kind(kind).duration <= m
            if brk is not None and reached:
                assert last is not None
                self._take(kind, last, out)
        for kind in KIND_ORDER:
            brk = self._kinds[kind].open
            if brk is not None and brk.deadline is not None and brk.deadline <= m:
                brk.deadline = None
                brk.deadline_passed = m
        if last is not None and not self._bout_closed and last + self._rules.break_after <= m:
            self._bout_closed = True
            out.append(BoutEnded(self._bout(last), m))
        for kind in KIND_ORDER:
            self._prompt_moment(kind, m, out)

    def _prompt_moment(self, kind: Kind, m: float, out: list[Effect]) -> None:
        st = self._kinds[kind]
        brk = st.open
        if brk is not None:
            if brk.next_prompt is not None and brk.next_prompt <= m:
                brk.next_prompt = None
                self._later_prompt(kind, brk, m, out)
            return
        due = self._due_moment(kind)
        if due is not None and due <= m:
            st.restart = None
            if self._quiet:
                self._suppress(kind, due, m, out)
            elif self._present(kind, m):
                self._first_prompt(kind, due, m, out)
            else:
                st.waiting_due = due
        elif st.waiting_show is not None and st.waiting_show <= m:
            due = st.waiting_due
            assert due is not None
            st.waiting_due = st.waiting_show = None
            if self._quiet:
                self._suppress(kind, due, m, out)
            else:
                self._first_prompt(kind, due, m, out)

    def _present(self, kind: Kind, m: float) -> bool:
        if self._last_input is None:
            return False
        limit = min(self._rules.presence, self._rules.kind(kind).duration)
        return m - self._last_input < limit

    # ---- prompts -------------------------------------------------------

    def _first_prompt(self, kind: Kind, due: float, m: float, out: list[Effect]) -> None:
        if kind is Kind.STRETCH and self._stretch_coalesces(m):
            record = BreakRecord(kind, due, None, 0, 0, Outcome.MERGED, m, None, None)
            out.append(BreakResolved(record))
            self._restart(kind, m)
            return
        st = self._kinds[kind]
        exercise = self._next_exercise(kind)
        brk = _OpenBreak(due=due, first_prompt=m, exercise=exercise, last_prompt=m)
        st.open = brk
        st.halt = None
        self._schedule_after_prompt(kind, brk, m)
        self._shown(kind, brk, m, snoozed=False, out=out)

    def _later_prompt(self, kind: Kind, brk: _OpenBreak, m: float, out: list[Effect]) -> None:
        if self._quiet:
            self._resolve(kind, Outcome.SUPPRESSED, m, None, out)
            self._kinds[kind].halt = Halt.QUIET
            return
        if not self._present(kind, m):
            brk.prompt_waiting = True
            return
        snoozed = brk.next_snoozed
        brk.next_snoozed = False
        brk.prompts += 1
        if not snoozed:
            brk.regular += 1
        brk.last_prompt = m
        self._schedule_after_prompt(kind, brk, m)
        self._shown(kind, brk, m, snoozed=snoozed, out=out)

    def _schedule_after_prompt(self, kind: Kind, brk: _OpenBreak, m: float) -> None:
        rules = self._rules.kind(kind)
        if brk.regular < rules.max_prompts:
            brk.next_prompt = m + rules.repeat
        else:
            brk.deadline = m + rules.grace

    def _shown(
        self, kind: Kind, brk: _OpenBreak, m: float, *, snoozed: bool, out: list[Effect]
    ) -> None:
        if kind is Kind.MOVEMENT and self._kinds[Kind.STRETCH].open is not None:
            self._resolve(Kind.STRETCH, Outcome.MERGED, m, None, out)
            self._restart(Kind.STRETCH, m)
        sitting = None if self._bout_closed else self._bout_start
        out.append(ShowPrompt(kind, m, brk.due, brk.exercise, brk.prompts, snoozed, sitting))

    def _stretch_coalesces(self, m: float) -> bool:
        movement = self._kinds[Kind.MOVEMENT]
        if movement.open is not None or movement.waiting_due is not None:
            return True
        due = self._due_moment(Kind.MOVEMENT)
        return due is not None and due - m <= self._rules.coalesce

    def _next_exercise(self, kind: Kind) -> str | None:
        choices = self._rules.exercises.get(kind, ())
        if not choices:
            return None
        st = self._kinds[kind]
        exercise = choices[st.rotation % len(choices)]
        st.rotation += 1
        return exercise

    # ---- outcomes ------------------------------------------------------

    def _take(self, kind: Kind, absence_start: float, out: list[Effect]) -> None:
        brk = self._kinds[kind].open
        assert brk is not None
        duration = self._rules.kind(kind).duration
        latency = max(0.0, absence_start - brk.first_prompt)
        self._resolve(kind, Outcome.TAKEN, absence_start + duration, latency, out)
        self._kinds[kind].halt = Halt.INPUT

    def _suppress(self, kind: Kind, due: float, m: float, out: list[Effect]) -> None:
        record = BreakRecord(kind, due, None, 0, 0, Outcome.SUPPRESSED, m, None, None)
        out.append(BreakResolved(record))
        st = self._kinds[kind]
        st.restart = None
        st.halt = Halt.QUIET

    def _resolve(
        self,
        kind: Kind,
        outcome: Outcome,
        at: float,
        latency: float | None,
        out: list[Effect],
    ) -> None:
        """End the open break of `kind`; cancels everything it had scheduled."""
        st = self._kinds[kind]
        brk = st.open
        assert brk is not None
        st.open = None
        out.append(BreakResolved(self._record(kind, brk, outcome, at, latency)))

    def _record(
        self,
        kind: Kind,
        brk: _OpenBreak,
        outcome: Outcome,
        at: float | None,
        latency: float | None,
    ) -> BreakRecord:
        return BreakRecord(
            kind=kind,
            due=brk.due,
            first_prompt=brk.first_prompt,
            prompts=brk.prompts,
            snoozes=brk.snoozes,
            outcome=outcome,
            outcome_at=at,
            latency=latency,
            exercise=brk.exercise,
        )

    def _bout(self, end: float) -> Bout:
        start = self._bout_start
        assert start is not None
        return Bout(start, end)

    def _restart(self, kind: Kind, r: float) -> None:
        st = self._kinds[kind]
        if self._rules.kind(kind).enabled:
            self._kinds[kind] = _KindState(restart=r, halt=None, rotation=st.rotation)
        else:
            self._kinds[kind] = _KindState(halt=Halt.OFF, rotation=st.rotation)
