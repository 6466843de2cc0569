"""The break machine: each kind's break life as one named phase (spec sections 3-6).

`Breaks` holds one phase per kind (`ergod.core.phases`) and changes it only in
`_enter`, which tells an optional observer; `phases.EDGES` lists every change it
may make. The engine calls it with what happened (an input ended an absence, a
snooze, a skip, quiet time ended, a moment came) and, for prompts, with
`Context`: the user and quiet time at that moment. Effects are appended to the
caller's list. Three decisions each live in one method: `_decide` (an absence
takes an open break, or leaves one past its deadline `ignored`), `_coalesce`
(every `merged`), `_show` (what comes after a prompt shown).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ergod.core.model import BreakRecord, BreakResolved, Effect, Outcome, ShowPrompt
from ergod.core.phases import (
    OPEN_STATES,
    Break,
    Deciding,
    Halted,
    KindView,
    Off,
    Open,
    Phase,
    PhaseChange,
    Running,
    State,
    Suppressed,
    Waiting,
)
from ergod.core.rules import KIND_ORDER, Kind, Rules
from ergod.core.sitting import Absence

Observer = Callable[[PhaseChange], None]


@dataclass(frozen=True)
class Context:
    """What a prompt depends on at one moment."""

    quiet: bool
    idle: float | None  # None before the first input; 0 while attended
    sitting_since: float | None


class Rotation:
    """Which exercise each kind shows next: its list in turn, across reloads."""

    def __init__(self) -> None:
        self._shown = dict.fromkeys(KIND_ORDER, 0)

    def next(self, kind: Kind, rules: Rules) -> str | None:
        choices = rules.exercises.get(kind, ())
        if not choices:
            return None
        self._shown[kind] += 1
        return choices[(self._shown[kind] - 1) % len(choices)]


class Breaks:
    """Both kinds' phases. One owner (the engine); not thread-safe."""

    def __init__(self, rules: Rules, observer: Observer | None = None) -> None:
        self.rules = rules
        self._observer = observer
        self._states: dict[Kind, State] = {
            k: Halted() if rules.kind(k).enabled else Off() for k in KIND_ORDER
        }
        self._rotation = Rotation()

    def phase(self, kind: Kind) -> Phase:
        return self._states[kind].phase

    def open_kind(self) -> Kind | None:
        """The kind whose break is open, if any (at most one is)."""
        for kind in KIND_ORDER:
            if isinstance(self._states[kind], OPEN_STATES):
                return kind
        return None

    def next_moment(self, absence_start: float | None) -> float | None:
        """The first moment at which some kind has something to evaluate."""
        first = None
        for kind, st in self._states.items():
            m = st.next_moment(self.rules, kind, absence_start)
            if m is not None and (first is None or m < first):
                first = m
        return first

    def pending_records(self) -> list[BreakRecord]:
        """Records for the breaks still open, with outcome `pending`."""
        return [
            st.brk.record(kind, Outcome.PENDING, None, None)
            for kind, st in self._states.items()
            if isinstance(st, OPEN_STATES)
        ]

    def view(self, kind: Kind) -> KindView:
        return KindView.of(kind, self._states[kind], self.rules)

    def input(self, t: float, absence: Absence | None, natural: bool, out: list[Effect]) -> None:
        """An input at `t` that ended `absence` (None: the day's first input);
        `natural` if that was a natural break."""
        if absence is not None:
            for kind in KIND_ORDER:
                self._decide(kind, absence, out)
        for kind in KIND_ORDER:
            st = self._states[kind]
            if isinstance(st, Halted):
                self._enter(kind, Running(t))
            elif isinstance(st, Waiting):
                long_enough = absence is not None and absence.length >= self._duration(kind)
                self._enter(kind, Running(t) if natural or long_enough else Waiting(st.due, t))
            elif isinstance(st, Open) and st.prompt_waiting:
                self._enter(kind, replace(st, next_prompt=t, prompt_waiting=False))
            elif isinstance(st, (Running, Suppressed)) and natural:
                self._enter(kind, Running(t))

    def snooze(self, t: float) -> None:
        """Accepted while a break is open and has snoozes left; else nothing."""
        kind = self.open_kind()
        if kind is None:
            return
        st = self._states[kind]
        assert isinstance(st, OPEN_STATES)
        rules = self.rules.kind(kind)
        if st.brk.snoozes >= rules.max_snoozes:
            return
        brk = replace(st.brk, snoozes=st.brk.snoozes + 1)
        self._enter(kind, Open(brk, next_prompt=t + rules.snooze, snoozed=True))

    def skip(self, t: float, out: list[Effect]) -> None:
        kind = self.open_kind()
        if kind is not None:
            self._resolve(kind, Outcome.SKIPPED, t, None, Running(t), out)

    def quiet_ended(self, t: float) -> None:
        """Catch-up: each kind suppressed in the quiet time falls due `catch_up` on."""
        for kind in KIND_ORDER:
            if isinstance(self._states[kind], Suppressed):
                self._enter(kind, Running(t, catching_up=True))

    def reached(self, m: float, absence_start: float | None, out: list[Effect]) -> None:
        """Open breaks whose duration the absence in progress reaches by `m`."""
        if absence_start is None:
            return
        for kind in KIND_ORDER:
            st = self._states[kind]
            if isinstance(st, OPEN_STATES) and absence_start + self._duration(kind) <= m:
                self._take(kind, absence_start, out)

    def deadlines(self, m: float, attended: bool, out: list[Effect]) -> None:
        """Open breaks whose deadline is `m` start deciding. While attended no
        absence is in progress: the one at the deadline ends at once, short."""
        for kind in KIND_ORDER:
            st = self._states[kind]
            if isinstance(st, Open) and st.deadline is not None and st.deadline <= m:
                self._enter(kind, Deciding(st.brk, st.deadline))
                if attended:
                    self._decide(kind, Absence(m, m), out)

    def prompt(self, kind: Kind, m: float, ctx: Context, out: list[Effect]) -> None:
        """What falls due for `kind` at `m`: a first prompt, or a later one."""
        st = self._states[kind]
        if isinstance(st, Open) and st.next_prompt is not None and st.next_prompt <= m:
            self._later_prompt(kind, st, m, ctx, out)
        elif isinstance(st, Running) and st.due(self.rules, kind) <= m:
            due = st.due(self.rules, kind)
            if ctx.quiet:
                self._suppress(kind, due, m, out)
            elif self._present(kind, ctx):
                self._first_prompt(kind, due, m, ctx, out)
            else:
                self._enter(kind, Waiting(due))
        elif isinstance(st, Waiting) and st.returned is not None and st.returned <= m:
            if ctx.quiet:
                self._suppress(kind, st.due, m, out)
            else:
                self._first_prompt(kind, st.due, m, ctx, out)

    def reconfigure(self, t: float, rules: Rules, sitting: bool, out: list[Effect]) -> None:
        """New rules at `t`. A kind switched off loses its open break (recorded
        `suppressed`); one switched on starts at `t` if `sitting`, else halts."""
        old, self.rules = self.rules, rules
        for kind in KIND_ORDER:
            was, now = old.kind(kind).enabled, rules.kind(kind).enabled
            if was and not now:
                if isinstance(self._states[kind], OPEN_STATES):
                    self._resolve(kind, Outcome.SUPPRESSED, t, None, Off(), out)
                else:
                    self._enter(kind, Off())
            elif now and not was:
                self._enter(kind, Running(t) if sitting else Halted())

    def _present(self, kind: Kind, ctx: Context) -> bool:
        limit = min(self.rules.presence, self._duration(kind))
        return ctx.idle is not None and ctx.idle < limit

    def _first_prompt(
        self, kind: Kind, due: float, m: float, ctx: Context, out: list[Effect]
    ) -> None:
        if not self._coalesce(kind, due, m, out):
            brk = Break(due=due, first_prompt=m, exercise=self._rotation.next(kind, self.rules))
            self._show(kind, brk, m, False, ctx, out)

    def _later_prompt(
        self, kind: Kind, st: Open, m: float, ctx: Context, out: list[Effect]
    ) -> None:
        if ctx.quiet:
            self._resolve(kind, Outcome.SUPPRESSED, m, None, Suppressed(), out)
        elif not self._present(kind, ctx):
            self._enter(kind, replace(st, next_prompt=None, prompt_waiting=True))
        else:
            regular = st.brk.regular + (0 if st.snoozed else 1)
            brk = replace(st.brk, prompts=st.brk.prompts + 1, regular=regular)
            self._coalesce(kind, None, m, out)
            self._show(kind, brk, m, st.snoozed, ctx, out)

    def _show(
        self, kind: Kind, brk: Break, m: float, snoozed: bool, ctx: Context, out: list[Effect]
    ) -> None:
        """Show a prompt of `brk`; next comes a regular prompt, or the deadline."""
        rules = self.rules.kind(kind)
        if brk.regular < rules.max_prompts:
            self._enter(kind, Open(brk, next_prompt=m + rules.repeat))
        else:
            self._enter(kind, Open(brk, deadline=m + rules.grace))
        out.append(
            ShowPrompt(kind, m, brk.due, brk.exercise, brk.prompts, snoozed, ctx.sitting_since)
        )

    def _coalesce(self, kind: Kind, due: float | None, m: float, out: list[Effect]) -> bool:
        """Every `merged` (spec section 4), before a prompt of `kind` shows at
        `m` (`due`: a first prompt's due moment). A movement prompt merges an
        open stretch; a first stretch prompt is merged unseen while movement is
        open or waiting, or falls due within `coalesce`. True: do not show."""
        if kind is Kind.MOVEMENT:
            if isinstance(self._states[Kind.STRETCH], OPEN_STATES):
                self._resolve(Kind.STRETCH, Outcome.MERGED, m, None, Running(m), out)
            return False
        if due is None or not self._movement_near(m):
            return False
        record = BreakRecord(kind, due, None, 0, 0, Outcome.MERGED, m, None, None)
        out.append(BreakResolved(record))
        self._enter(kind, Running(m))
        return True

    def _movement_near(self, m: float) -> bool:
        movement = self._states[Kind.MOVEMENT]
        if isinstance(movement, Running):
            return movement.due(self.rules, Kind.MOVEMENT) - m <= self.rules.coalesce
        return isinstance(movement, (*OPEN_STATES, Waiting))

    def _decide(self, kind: Kind, absence: Absence, out: list[Effect]) -> None:
        """An absence ended: it takes an open break it reached (only one of
        exactly `duration` gets here: longer ones were taken at their moment),
        and one past its deadline that it did not reach is `ignored`."""
        st = self._states[kind]
        if not isinstance(st, OPEN_STATES):
            return
        if absence.length >= self._duration(kind):
            self._take(kind, absence.start, out)
        elif isinstance(st, Deciding):
            self._resolve(kind, Outcome.IGNORED, st.deadline, None, Running(st.deadline), out)

    def _take(self, kind: Kind, absence_start: float, out: list[Effect]) -> None:
        st = self._states[kind]
        assert isinstance(st, OPEN_STATES)
        latency = max(0.0, absence_start - st.brk.first_prompt)
        at = absence_start + self._duration(kind)
        self._resolve(kind, Outcome.TAKEN, at, latency, Halted(), out)

    def _suppress(self, kind: Kind, due: float, m: float, out: list[Effect]) -> None:
        record = BreakRecord(kind, due, None, 0, 0, Outcome.SUPPRESSED, m, None, None)
        out.append(BreakResolved(record))
        self._enter(kind, Suppressed())

    def _resolve(
        self,
        kind: Kind,
        outcome: Outcome,
        at: float,
        latency: float | None,
        then: State,
        out: list[Effect],
    ) -> None:
        """End the open break of `kind`; what it had scheduled goes with it."""
        st = self._states[kind]
        assert isinstance(st, OPEN_STATES)
        out.append(BreakResolved(st.brk.record(kind, outcome, at, latency)))
        self._enter(kind, then)

    def _enter(self, kind: Kind, state: State) -> None:
        """The one place a kind's phase changes."""
        old = self._states[kind]
        self._states[kind] = state
        if self._observer is not None:
            self._observer(PhaseChange(kind, old.phase, state.phase))

    def _duration(self, kind: Kind) -> float:
        return self.rules.kind(kind).duration
