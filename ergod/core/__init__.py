"""The pure core: the sitting clock engine, its rules, events and effects.

Nothing in this package reads a clock, sleeps, starts a thread or imports an
I/O library; `tests/test_engine_purity.py` holds it to that.
"""

from ergod.core.engine import Engine, EngineView, KindView
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
from ergod.core.phases import Phase, PhaseChange
from ergod.core.rules import KIND_ORDER, Kind, KindRules, Rules

__all__ = [
    "KIND_ORDER",
    "Bout",
    "BoutEnded",
    "BreakRecord",
    "BreakResolved",
    "Effect",
    "Engine",
    "EngineView",
    "EventKind",
    "Kind",
    "KindRules",
    "KindView",
    "Outcome",
    "Phase",
    "PhaseChange",
    "Rules",
    "ShowPrompt",
]
