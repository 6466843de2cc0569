"""The rules the sitting clock runs by: typed, validated values, in seconds.

`Rules` is everything the engine needs from configuration, and nothing else.
The config layer builds it (`Config.rules()`, with the exercise rotation
added by `ergod.config.compose.engine_rules`); tests may build it directly.
Field meanings are those of spec/sitting-clock.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """A kind of break. Values appear as-is in JSON and in the store."""

    MOVEMENT = "movement"
    STRETCH = "stretch"


# Prompts at one moment go movement first (spec section 4).
KIND_ORDER: tuple[Kind, ...] = (Kind.MOVEMENT, Kind.STRETCH)


@dataclass(frozen=True)
class KindRules:
    """The clock of one kind of break."""

    enabled: bool = True
    every: float = 1200.0
    duration: float = 20.0
    grace: float = 120.0
    repeat: float = 600.0
    max_prompts: int = 2
    snooze: float = 300.0
    max_snoozes: int = 2


STRETCH_DEFAULTS = KindRules()
MOVEMENT_DEFAULTS = KindRules(every=1800.0, duration=180.0, grace=300.0, max_prompts=3)


@dataclass(frozen=True)
class Rules:
    """All the engine's settings. Defaults are the spec's."""

    break_after: float = 180.0
    presence: float = 60.0
    coalesce: float = 120.0
    # After quiet time, a kind suppressed in it falls due this long later (section 6).
    catch_up: float = 120.0
    stretch: KindRules = STRETCH_DEFAULTS
    movement: KindRules = MOVEMENT_DEFAULTS
    # Exercise ids offered per kind, in rotation order; empty means none.
    exercises: dict[Kind, tuple[str, ...]] = field(default_factory=dict)

    def kind(self, kind: Kind) -> KindRules:
        return self.movement if kind is Kind.MOVEMENT else self.stretch

    @property
    def watch_threshold(self) -> float:
        """The shortest absence the engine must hear about exactly.

        Absences shorter than this change no outcome, so an activity source
        need only report an absence once it reaches this length, and the exact
        moment it ends.
        """
        lengths = [self.presence, self.break_after]
        lengths += [k.duration for k in (self.stretch, self.movement) if k.enabled]
        return min(lengths)
