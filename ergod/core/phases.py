"""A kind's break life as named phases, and the one table of their transitions.

Each kind of break (stretch, movement) is in exactly one phase at a time. A
phase is a small frozen value (`Halted`, `Running`, ..., `Deciding`) that
carries only what that phase needs; its `phase` names it (`Phase`) and
`next_moment` says when it next has something to evaluate. The break
machine (`ergod.core.breaks`) changes a kind's phase in one place and may make
only the transitions listed in `EDGES`. The state diagrams in
docs/architecture.md are `mermaid()` of this table; tests/test_engine_phases.py
checks the document against it, and checks on random traces that the engine
makes no other transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind, Rules


class Phase(str, Enum):
    """The name of a phase. Values appear in `ergod status --json`."""

    OFF = "off"  # the kind is disabled
    HALTED = "halted"  # the clock waits for an input (start of day, after `taken`)
    RUNNING = "running"  # the clock runs: the kind falls due at a known moment
    SUPPRESSED = "suppressed"  # fell due in quiet time: waits for its end or a natural break
    WAITING = "waiting"  # fell due while the user was away: the first prompt waits
    OPEN = "open"  # prompted; not yet taken, skipped, merged or past its deadline
    DECIDING = "deciding"  # past its deadline: the absence in progress decides


class PhaseState:
    """What every phase answers: its name, and when it next has something to
    evaluate (None: only an event can change it)."""

    phase: ClassVar[Phase]

    def next_moment(self, rules: Rules, kind: Kind, absence_start: float | None) -> float | None:
        return None


@dataclass(frozen=True)
class Off(PhaseState):
    phase: ClassVar[Phase] = Phase.OFF


@dataclass(frozen=True)
class Halted(PhaseState):
    phase: ClassVar[Phase] = Phase.HALTED


@dataclass(frozen=True)
class Running(PhaseState):
    """Falls due `every` after `since` (its restart), or `catch_up` after `since`
    (the end of the quiet time that suppressed it) when `catching_up`."""

    phase: ClassVar[Phase] = Phase.RUNNING
    since: float
    catching_up: bool = False

    def due(self, rules: Rules, kind: Kind) -> float:
        step = rules.catch_up if self.catching_up else rules.kind(kind).every
        return self.since + step

    def next_moment(self, rules: Rules, kind: Kind, absence_start: float | None) -> float | None:
        return self.due(rules, kind)


@dataclass(frozen=True)
class Suppressed(PhaseState):
    phase: ClassVar[Phase] = Phase.SUPPRESSED


@dataclass(frozen=True)
class Waiting(PhaseState):
    """Fell due at `due` while the user was away; `returned`: the input that
    came back, at which the first prompt is decided."""

    phase: ClassVar[Phase] = Phase.WAITING
    due: float
    returned: float | None = None

    def next_moment(self, rules: Rules, kind: Kind, absence_start: float | None) -> float | None:
        return self.returned


@dataclass(frozen=True)
class Break:
    """What an open break has collected so far: its record's fields."""

    due: float
    first_prompt: float
    exercise: str | None
    prompts: int = 1  # shown, snoozed ones included
    regular: int = 1  # shown, not snoozed: counted against max_prompts
    snoozes: int = 0

    def record(
        self, kind: Kind, outcome: Outcome, at: float | None, latency: float | None
    ) -> BreakRecord:
        return BreakRecord(
            kind=kind,
            due=self.due,
            first_prompt=self.first_prompt,
            prompts=self.prompts,
            snoozes=self.snoozes,
            outcome=outcome,
            outcome_at=at,
            latency=latency,
            exercise=self.exercise,
        )


@dataclass(frozen=True)
class Open(PhaseState):
    """An open break and what comes next: a prompt at `next_prompt` (a snoozed
    one if `snoozed`), the `deadline`, or, with `prompt_waiting`, a prompt that
    fell due while the user was away and is shown at the next input. The
    absence in progress takes it when it reaches the kind's duration."""

    phase: ClassVar[Phase] = Phase.OPEN
    brk: Break
    next_prompt: float | None = None
    snoozed: bool = False
    deadline: float | None = None
    prompt_waiting: bool = False

    def next_moment(self, rules: Rules, kind: Kind, absence_start: float | None) -> float | None:
        found = [m for m in (self.next_prompt, self.deadline) if m is not None]
        if absence_start is not None:
            found.append(absence_start + rules.kind(kind).duration)
        return min(found, default=None)


@dataclass(frozen=True)
class Deciding(PhaseState):
    """An open break past its `deadline`: ignored if the absence in progress
    ends short of the kind's duration, taken if it reaches it."""

    phase: ClassVar[Phase] = Phase.DECIDING
    brk: Break
    deadline: float

    def next_moment(self, rules: Rules, kind: Kind, absence_start: float | None) -> float | None:
        return None if absence_start is None else absence_start + rules.kind(kind).duration


State = Off | Halted | Running | Suppressed | Waiting | Open | Deciding
OPEN_STATES = (Open, Deciding)
"""The phases in which a break is open (it can be taken, snoozed, skipped, merged)."""


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
    phase: Phase

    @classmethod
    def of(cls, kind: Kind, state: State, rules: Rules) -> KindView:
        brk = state.brk if isinstance(state, OPEN_STATES) else None
        return cls(
            kind=kind,
            enabled=rules.kind(kind).enabled,
            next_due=state.due(rules, kind) if isinstance(state, Running) else None,
            waiting_since=state.due if isinstance(state, Waiting) else None,
            open_since=brk.first_prompt if brk else None,
            prompts=brk.prompts if brk else 0,
            snoozes=brk.snoozes if brk else 0,
            next_prompt=state.next_prompt if isinstance(state, Open) else None,
            phase=state.phase,
        )


@dataclass(frozen=True)
class PhaseChange:
    """A kind went from one phase to another (or to the same one, updated)."""

    kind: Kind
    source: Phase
    target: Phase


@dataclass(frozen=True)
class Edge:
    """A transition the engine may make; `source` None is the start of the day."""

    source: Phase | None
    target: Phase
    label: str
    reload: bool = False  # only a live reload makes it


P = Phase
EDGES: tuple[Edge, ...] = (
    Edge(None, P.HALTED, "start of day"),
    Edge(P.HALTED, P.RUNNING, "an input (the first; the one after `taken`)"),
    Edge(P.RUNNING, P.RUNNING, "natural break (restart) / stretch coalesced (`merged`, unseen)"),
    Edge(P.RUNNING, P.OPEN, "falls due, user present (first prompt)"),
    Edge(P.RUNNING, P.WAITING, "falls due while the user is away"),
    Edge(P.RUNNING, P.SUPPRESSED, "falls due in quiet time (`suppressed`)"),
    Edge(P.WAITING, P.RUNNING, "back after >= duration or a natural break / stretch coalesced"),
    Edge(P.WAITING, P.WAITING, "the user returns (the prompt is decided at that moment)"),
    Edge(P.WAITING, P.OPEN, "back sooner (first prompt)"),
    Edge(P.WAITING, P.SUPPRESSED, "back sooner, in quiet time (`suppressed`)"),
    Edge(P.SUPPRESSED, P.RUNNING, "quiet time ends (due `catch_up` later) / natural break"),
    Edge(P.OPEN, P.OPEN, "repeat or snoozed prompt / prompt waits for the user / snooze"),
    Edge(P.OPEN, P.HALTED, "`taken` (restarts at the next input)"),
    Edge(P.OPEN, P.RUNNING, "`skipped` / `merged` into a movement prompt"),
    Edge(P.OPEN, P.SUPPRESSED, "a later prompt falls due in quiet time (`suppressed`)"),
    Edge(P.OPEN, P.DECIDING, "deadline (`grace` after the last prompt)"),
    Edge(P.DECIDING, P.RUNNING, "absence ends short, or attended (`ignored`) / skip / merge"),
    Edge(P.DECIDING, P.HALTED, "the absence reaches duration (`taken`)"),
    Edge(P.DECIDING, P.OPEN, "snooze"),
    Edge(None, P.OFF, "disabled in the configuration", reload=True),
    *(
        Edge(p, P.OFF, "switched off (an open break is `suppressed`)", reload=True)
        for p in (P.HALTED, P.RUNNING, P.SUPPRESSED, P.WAITING, P.OPEN, P.DECIDING)
    ),
    Edge(P.OFF, P.HALTED, "switched on, user away", reload=True),
    Edge(P.OFF, P.RUNNING, "switched on while sitting", reload=True),
)
ALLOWED: frozenset[tuple[Phase, Phase]] = frozenset(
    (e.source, e.target) for e in EDGES if e.source is not None
)


def mermaid(*, reload: bool) -> str:
    """A mermaid state diagram of `EDGES`: the break's life, or (`reload`) the
    transitions to and from `off`."""
    lines = ["stateDiagram-v2"]
    for edge in EDGES:
        if edge.reload == reload:
            source = "[*]" if edge.source is None else edge.source.name.title()
            lines.append(f"    {source} --> {edge.target.name.title()}: {edge.label}")
    return "\n".join(lines) + "\n"
