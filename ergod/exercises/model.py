"""An exercise card and the library of them: the values every other exercises module uses.

`Exercise` is one card (id, name, focus, seconds, steps, caveat, kinds).
`Library` holds the built-in and custom cards with the ids switched off;
`Library.get` resolves an id or a set of ids joined by "+" (`SET_SEPARATOR`,
"march_heels+wall_pushup+wall_slide") into one card whose parts are kept in
`parts`. User ids cannot contain "+", so a set never collides with a real id.
Pure values: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ergod.core.rules import Kind
from ergod.errors import UsageError, did_you_mean
from ergod.i18n import _

SET_SEPARATOR = "+"
PAIR_SEPARATOR = SET_SEPARATOR  # the name before sets could hold more than two
EYES = "eyes"
DEFAULT_KINDS = frozenset({Kind.STRETCH})


@dataclass(frozen=True)
class Exercise:
    """One exercise card. `seconds` is about how long it takes.

    A set of several exercises done one after the other is one card too: its
    `parts` are the single cards, in order (empty for a single card), and its
    caveat names the part each caveat belongs to.
    """

    id: str
    name: str
    focus: str
    seconds: int
    steps: tuple[str, ...]
    caveat: str | None = None
    kinds: frozenset[Kind] = DEFAULT_KINDS
    parts: tuple[Exercise, ...] = ()

    @property
    def areas(self) -> tuple[str, ...]:
        """The focus areas, lowercase: "chest, upper back" -> ("chest", "upper back")."""
        return tuple(a.strip().lower() for a in self.focus.split(",") if a.strip())

    @property
    def standing(self) -> bool:
        """Offered in both kinds: a standing stretch that can finish a movement set."""
        return {Kind.STRETCH, Kind.MOVEMENT} <= self.kinds


class UnknownExerciseError(UsageError):
    """No exercise has this id."""


@dataclass(frozen=True)
class Library:
    """All known exercises, built-ins first, and which ones are switched off."""

    exercises: tuple[Exercise, ...]
    disabled: frozenset[str] = frozenset()
    _by_id: Mapping[str, Exercise] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.exercises})

    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.exercises)

    def get(self, exercise_id: str, translate: bool = False) -> Exercise:
        """The card for an id or a set `"a+b+c"`; UnknownExerciseError otherwise.

        Disabled exercises are found too: `is_enabled` says whether they are used.
        `translate`: the card's texts in the active language (`localized`), each
        part of a set translated before the parts are joined.
        """
        parts = exercise_id.split(SET_SEPARATOR)
        found = [self._by_id.get(part) for part in parts]
        cards = [e for e in found if e is not None]
        if len(cards) != len(parts) or len(set(parts)) != len(parts):
            raise UnknownExerciseError(
                f"no exercise {exercise_id!r}{suggestion(exercise_id, self.ids())}"
            )
        if translate:
            cards = [localized(card) for card in cards]
        return cards[0] if len(cards) == 1 else combined(cards)

    def is_enabled(self, exercise_id: str) -> bool:
        return not any(part in self.disabled for part in exercise_id.split(SET_SEPARATOR))

    def enabled(self) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.id not in self.disabled)

    def for_kind(self, kind: Kind) -> tuple[Exercise, ...]:
        """The enabled exercises that reminders of `kind` offer, in library order."""
        return tuple(e for e in self.enabled() if kind in e.kinds)


def localized(exercise: Exercise) -> Exercise:
    """The card with its name, focus areas, steps and caveat in the active language.

    The built-ins' texts are in the catalogs; a user's own exercise has no
    translation and reads as written.
    """
    return Exercise(
        id=exercise.id,
        name=_(exercise.name),
        focus=", ".join(_(area.strip()) for area in exercise.focus.split(",")),
        seconds=exercise.seconds,
        steps=tuple(_(step) for step in exercise.steps),
        caveat=_(exercise.caveat) if exercise.caveat else None,
        kinds=exercise.kinds,
        parts=tuple(localized(part) for part in exercise.parts),
    )


def kind_name(kind: Kind) -> str:
    """"stretch" / "movement" as a word in a sentence, in the active language."""
    return _("movement") if kind is Kind.MOVEMENT else _("stretch")


def combined(cards: Sequence[Exercise]) -> Exercise:
    """Several cards done one after the other, as one card with those `parts`."""
    # In a set each caveat names its part: "Wall slide: skip it with a painful shoulder."
    caveats = [
        # Translators: a caveat in a set names its exercise: "Wall slide: skip it ...".
        _("{name}: {caveat}").format(name=c.name, caveat=f"{c.caveat[:1].lower()}{c.caveat[1:]}")
        for c in cards
        if c.caveat
    ]
    return Exercise(
        id=SET_SEPARATOR.join(c.id for c in cards),
        name=" + ".join(c.name for c in cards),
        focus=", ".join(dict.fromkeys(area for c in cards for area in c.areas)),
        seconds=sum(c.seconds for c in cards),
        steps=tuple(step for c in cards for step in c.steps),
        caveat=" ".join(caveats) or None,
        kinds=cards[0].kinds,
        parts=tuple(cards),
    )


def suggestion(word: str, choices: Sequence[str]) -> str:
    """` (did you mean "x"?)` after a name nothing has, or "" when nothing is close."""
    hint = did_you_mean(word, choices)
    return f" ({hint})" if hint else ""
