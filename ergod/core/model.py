"""The engine's vocabulary: events in, effects out, and the records it keeps.

All values are frozen; enums carry the strings used in traces, JSON and the
store. Times are seconds on the engine's clock (CLOCK_BOOTTIME in the daemon,
the trace's seconds in `ergod simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ergod.core.rules import Kind


class EventKind(str, Enum):
    """What can happen to the engine: the spec's section 1 events. `quiet_start` /
    `quiet_end` bracket quiet time (schedule, do-not-disturb, pause, a call);
    `attend_start` / `attend_end` bracket attended time (present without input)."""

    INPUT = "input"
    LOCK = "lock"
    UNLOCK = "unlock"
    SLEEP = "sleep"
    WAKE = "wake"
    SNOOZE = "snooze"
    SKIP = "skip"
    QUIET_START = "quiet_start"
    QUIET_END = "quiet_end"
    ATTEND_START = "attend_start"
    ATTEND_END = "attend_end"


class Outcome(str, Enum):
    """How a due break ended (spec sections 5 and 6); `pending` = still open."""

    TAKEN = "taken"
    SKIPPED = "skipped"
    IGNORED = "ignored"
    MERGED = "merged"
    SUPPRESSED = "suppressed"
    PENDING = "pending"


@dataclass(frozen=True)
class Bout:
    """A sitting bout: a maximal run of inputs with no natural break inside."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class BreakRecord:
    """One due break and how it ended, with the spec's section 7 fields."""

    kind: Kind
    due: float
    first_prompt: float | None
    prompts: int
    snoozes: int
    outcome: Outcome
    outcome_at: float | None
    latency: float | None
    exercise: str | None


@dataclass(frozen=True)
class ShowPrompt:
    """Show a prompt now. `number` counts prompts of this break, snoozed included."""

    kind: Kind
    at: float
    due: float
    exercise: str | None
    number: int
    snoozed: bool
    sitting_since: float | None


@dataclass(frozen=True)
class BreakResolved:
    """A due break got its outcome; withdraw its prompt and record it."""

    record: BreakRecord


@dataclass(frozen=True)
class BoutEnded:
    """A sitting bout is over: the absence after it reached `break_after`."""

    bout: Bout
    at: float


Effect = ShowPrompt | BreakResolved | BoutEnded
