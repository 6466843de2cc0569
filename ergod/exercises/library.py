"""The exercise library: what a break reminder asks the user to do.

Contract:
* `Exercise` is one card (id, name, focus, seconds, steps, caveat, kinds).
  The built-in cards ship as ergod/data/exercises.toml in exactly the schema of
  a user's `[[exercises.custom]]` tables, and both go through one validator.
* `load_library(custom, disabled)` returns the `Library`: built-ins, then the
  user's exercises, with `[exercises] disabled` (ids or focus areas) applied.
  Every problem is reported at once in an `ExerciseConfigError` (exit 2) that
  names the exercise and the field. It reads only the packaged data file.
* `rotation(library, kind)` is the order the engine cycles through, one step
  per due break (`Rules.exercises`); `rotations(library)` gives both kinds.
  Stretch: eye items take turns with the other stretch items, never the same id
  twice in a row, wrap-around included. Movement: the movement items in order,
  each one shorter than `PAIR_BELOW` paired with an upper-back or chest item.
  A pairing is the composite id `"first+second"` (`PAIR_SEPARATOR`), which
  `Library.get` resolves to one card with both sets of steps; user ids cannot
  contain "+", so a composite never collides with a real id.
* `render_card` (title, body for a desktop notification) and `format_card`
  (the full text of `ergod exercises show`) both end with `SAFETY`.
  `DISCLAIMER` and `RED_FLAGS` are the plain not-medical-advice texts that
  `ergod exercises` and the weekly summary print.

Pure values and functions: no module-level state, no clock, no work at import.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ergod.core.rules import Kind
from ergod.errors import UsageError
from ergod.i18n import N_, _

SAFETY = N_("Move gently. Stop if you feel sharp pain, tingling or dizziness.")

DISCLAIMER = N_(
    "ergod is a reminder tool, not a medical device; nothing it shows is medical advice."
)

RED_FLAGS = N_(
    "See a doctor or physiotherapist, rather than relying on reminders, if pain is severe "
    "or getting worse, has not eased after a week or two, keeps you from everyday "
    "activities, or started after a fall or accident; or if you notice numbness, tingling "
    "or weakness in your arms, legs or buttocks, pain shooting down an arm, fever, chills "
    "or weight loss you can't explain, new trouble controlling your bladder or bowels, a "
    "band of pain around your chest, or pain that gets worse when you breathe in deeply."
)

# A desktop notification shows a few lines; longer bodies get cut by the server.
NOTIFICATION_BODY_MAX = 300

PAIR_SEPARATOR = "+"
# A movement item shorter than this is too little for a movement break on its
# own, so it is paired with one of the PAIR_FOCUS items (health.md).
PAIR_BELOW = 120
PAIR_FOCUS = frozenset({"upper back", "chest"})
EYES = "eyes"

_ID = re.compile(r"^[a-z0-9_]+$")
_REQUIRED = ("id", "name", "focus", "seconds", "steps")
_FIELDS = (*_REQUIRED, "caveat", "kinds")
_DEFAULT_KINDS = frozenset({Kind.STRETCH})
# A least common multiple beyond this many times the longer list would make a
# needlessly long rotation; fall back to the longer list's length.
_ROTATION_STRETCH = 4

# Reports a problem with one field: (field name, why).
_Report = Callable[[str, str], None]


@dataclass(frozen=True)
class Exercise:
    """One exercise card. `seconds` is about how long it takes."""

    id: str
    name: str
    focus: str
    seconds: int
    steps: tuple[str, ...]
    caveat: str | None = None
    kinds: frozenset[Kind] = _DEFAULT_KINDS

    @property
    def areas(self) -> tuple[str, ...]:
        """The focus areas, lowercase: "chest, upper back" -> ("chest", "upper back")."""
        return _areas(self.focus)


class ExerciseConfigError(UsageError):
    """The exercise settings are wrong; `problems` lists each, for the config layer.

    Each problem is one line naming the exercise and field ("exercise 'x':
    seconds must be ..."); those about `[exercises] disabled` start with
    "exercises.disabled: ", which ergod.config relies on to point at that key.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"invalid exercise settings:\n{lines}")


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
        """The card for an id or a pairing `"a+b"`; UnknownExerciseError otherwise.

        Disabled exercises are found too: `is_enabled` says whether they are used.
        `translate`: the card's texts in the active language (`localized`), each
        half of a pairing translated before the two are joined.
        """
        parts = exercise_id.split(PAIR_SEPARATOR)
        found = [self._by_id.get(part) for part in parts]
        if len(parts) > 2 or not all(found):
            raise UnknownExerciseError(
                f"no exercise {exercise_id!r}{_did_you_mean(exercise_id, self.ids())}"
            )
        cards = [localized(e) if translate else e for e in found if e is not None]
        return cards[0] if len(cards) == 1 else _paired(cards[0], cards[1])

    def is_enabled(self, exercise_id: str) -> bool:
        return not any(part in self.disabled for part in exercise_id.split(PAIR_SEPARATOR))

    def enabled(self) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.id not in self.disabled)

    def for_kind(self, kind: Kind) -> tuple[Exercise, ...]:
        """The enabled exercises that reminders of `kind` offer, in library order."""
        return tuple(e for e in self.enabled() if kind in e.kinds)


def load_library(
    custom: Sequence[Mapping[str, object]] = (), disabled: Sequence[str] = ()
) -> Library:
    """The built-in library plus `custom` exercises, with `disabled` switched off.

    `custom` are `[[exercises.custom]]` tables (field types already checked by
    the config layer, checked again here); `disabled` holds ids or focus areas,
    matched case-insensitively. Raises ExerciseConfigError listing every problem.
    """
    builtin, problems = _parse_all(_builtin_tables(), "built-in exercise", frozenset())
    if problems:
        raise ExerciseConfigError(problems)
    builtin_ids = frozenset(e.id for e in builtin)
    mine, problems = _parse_all(custom, "exercises.custom", builtin_ids)
    exercises = builtin + mine
    off, disabled_problems = _resolve_disabled(exercises, disabled)
    problems += disabled_problems
    if problems:
        raise ExerciseConfigError(problems)
    return Library(exercises, off)


def rotation(library: Library, kind: Kind) -> tuple[str, ...]:
    """The ids reminders of `kind` cycle through, in order; empty if none is enabled."""
    if kind is Kind.MOVEMENT:
        return _movement_rotation(library)
    items = library.for_kind(kind)
    eyes = [e.id for e in items if EYES in e.areas]
    body = _interleave_by_focus([e for e in items if EYES not in e.areas])
    if not eyes or not body:
        return tuple(eyes or body)
    longer = max(len(eyes), len(body))
    slots = math.lcm(len(eyes), len(body))
    if slots > _ROTATION_STRETCH * longer:
        slots = longer
    # Body first: the first stretch of the day is for the back, not the eyes.
    return tuple(item for i in range(slots) for item in (body[i % len(body)], eyes[i % len(eyes)]))


def rotations(library: Library) -> dict[Kind, tuple[str, ...]]:
    """`rotation` for every kind: the value of `Rules.exercises`."""
    return {kind: rotation(library, kind) for kind in Kind}


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
    )


def kind_name(kind: Kind) -> str:
    """ "stretch" / "movement" as a word in a sentence, in the active language."""
    return _("movement") if kind is Kind.MOVEMENT else _("stretch")


def render_card(exercise: Exercise) -> tuple[str, str]:
    """(title, body) for a desktop notification, the body within NOTIFICATION_BODY_MAX.

    Steps that do not fit are replaced by a pointer to `ergod exercises show`;
    the caveat and the safety line are always kept, so only a caveat that is
    itself too long can take the body past the limit.
    """
    title = f"{exercise.name} ({format_time(exercise.seconds)})"
    # Translators: {focus} is one or more focus areas, e.g. "neck, shoulders".
    head = [_("For the {focus}.").format(focus=exercise.focus)]
    tail = [*_careful(exercise), _(SAFETY)]
    steps = _numbered(exercise.steps)
    body = "\n".join(head + steps + tail)
    more = _("(All steps: ergod exercises show {id})").format(id=exercise.id)
    while len(body) > NOTIFICATION_BODY_MAX and steps:
        steps = steps[:-1]
        body = "\n".join([*head, *steps, more, *tail])
    return title, body


def format_card(exercise: Exercise, enabled: bool = True) -> str:
    """The full card `ergod exercises show` prints, ending with SAFETY."""
    kinds = _sorted_kinds(exercise.kinds)
    if len(kinds) == 2:
        offered = _("Offered in stretch and movement breaks.")
    elif kinds == [Kind.MOVEMENT]:
        offered = _("Offered in movement breaks.")
    elif kinds:
        offered = _("Offered in stretch breaks.")
    else:
        offered = _("Shown on request only.")
    about = _("Focus: {focus}. Time: about {time}.").format(
        focus=exercise.focus, time=format_time(exercise.seconds)
    )
    lines = [f"{exercise.name}  [{exercise.id}]", f"{about} {offered}"]
    if not enabled:
        lines.append(_("Disabled in your configuration."))
    lines.append("")
    lines += [f"  {line}" for line in _numbered(exercise.steps)]
    lines.append("")
    lines += _careful(exercise)
    lines.append(_(SAFETY))
    return "\n".join(lines)


def _careful(exercise: Exercise) -> list[str]:
    if not exercise.caveat:
        return []
    # Translators: before the exercise's caveat, e.g. "Careful: skip it after a shoulder injury."
    return [_("Careful: {caveat}").format(caveat=exercise.caveat)]


def to_json(exercise: Exercise, enabled: bool = True) -> dict[str, object]:
    """The card as plain JSON data; kinds sorted, caveat null when absent."""
    return {
        "id": exercise.id,
        "name": exercise.name,
        "focus": exercise.focus,
        "seconds": exercise.seconds,
        "steps": list(exercise.steps),
        "caveat": exercise.caveat,
        "kinds": [k.value for k in _sorted_kinds(exercise.kinds)],
        "enabled": enabled,
    }


def format_time(seconds: int) -> str:
    """30 -> "30 s", 180 -> "3 min", 90 -> "1 min 30 s"."""
    minutes, secs = divmod(seconds, 60)
    if not minutes:
        return _("{seconds} s").format(seconds=secs)
    if not secs:
        return _("{minutes} min").format(minutes=minutes)
    return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)


def _builtin_tables() -> list[Mapping[str, object]]:
    from importlib.resources import files

    text = (files("ergod") / "data" / "exercises.toml").read_text(encoding="utf-8")
    tables = _toml_loads(text).get("exercise", [])
    if not isinstance(tables, list):
        raise ExerciseConfigError(["built-in exercises: [[exercise]] must be an array of tables"])
    return tables


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    data: dict[str, Any] = tomllib.loads(text)
    return data


def _parse_all(
    tables: Sequence[object], where: str, taken: frozenset[str]
) -> tuple[tuple[Exercise, ...], list[str]]:
    exercises: list[Exercise] = []
    problems: list[str] = []
    seen = set(taken)
    for index, table in enumerate(tables, start=1):
        exercise, found = _parse(table, f"{where} #{index}")
        problems += found
        if exercise is None:
            continue
        if exercise.id in taken:
            problems.append(
                f"exercise {exercise.id!r}: id is a built-in exercise; give yours another id "
                f'(and switch the built-in off with disabled = ["{exercise.id}"] if you want)'
            )
        elif exercise.id in seen:
            problems.append(f"exercise {exercise.id!r}: id is used twice")
        seen.add(exercise.id)
        exercises.append(exercise)
    return tuple(exercises), problems


def _parse(table: object, where: str) -> tuple[Exercise | None, list[str]]:
    """One validated Exercise from a table, or None and what is wrong with it."""
    if not isinstance(table, Mapping):
        return None, [f"{where}: expected a table with {', '.join(_REQUIRED)}"]
    raw_id = table.get("id")
    label = f"exercise {raw_id!r}" if isinstance(raw_id, str) and raw_id else where
    problems: list[str] = []

    def bad(name: str, why: str) -> None:
        problems.append(f"{label}: {name} {why}")

    for name in table:
        if name not in _FIELDS:
            bad(name, f"is not an exercise field{_did_you_mean(str(name), _FIELDS)}")
    for name in _REQUIRED:
        if name not in table:
            bad(name, "is missing")
    if "id" in table and not (isinstance(raw_id, str) and _ID.match(raw_id)):
        bad("id", 'must be lowercase letters, digits and "_" only, like "neck_roll"')
    name_value = _text(table, "name", bad)
    focus = _text(table, "focus", bad)
    seconds = table.get("seconds")
    if "seconds" in table and (
        isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0
    ):
        bad("seconds", "must be a whole number of seconds, more than 0")
    steps = table.get("steps")
    if "steps" in table and not (
        isinstance(steps, list) and steps and all(isinstance(s, str) and s.strip() for s in steps)
    ):
        bad("steps", "must be a non-empty list of non-empty strings")
    caveat = _text(table, "caveat", bad) if "caveat" in table else None
    kinds = _kinds(table.get("kinds", [k.value for k in _DEFAULT_KINDS]), bad)
    if problems:
        return None, problems
    assert isinstance(raw_id, str) and isinstance(seconds, int) and isinstance(steps, list)
    return Exercise(
        id=raw_id,
        name=name_value or "",
        focus=focus or "",
        seconds=seconds,
        steps=tuple(s.strip() for s in steps),
        caveat=caveat,
        kinds=kinds,
    ), []


def _text(table: Mapping[str, object], name: str, bad: _Report) -> str | None:
    value = table.get(name)
    if name in table and not (isinstance(value, str) and value.strip()):
        bad(name, "must be non-empty text")
        return None
    return value.strip() if isinstance(value, str) else None


def _kinds(value: object, bad: _Report) -> frozenset[Kind]:
    known = [k.value for k in Kind]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        bad("kinds", f"must be a list of {' or '.join(map(repr, known))}")
        return frozenset()
    if not value:
        bad("kinds", f"must list at least one of {' and '.join(map(repr, known))}")
        return frozenset()
    unknown = [v for v in value if v not in known]
    if unknown:
        bad("kinds", f"has {unknown[0]!r}; known kinds are {' and '.join(map(repr, known))}")
        return frozenset()
    return frozenset(Kind(v) for v in value)


def _resolve_disabled(
    exercises: Sequence[Exercise], disabled: Sequence[object]
) -> tuple[frozenset[str], list[str]]:
    ids = [e.id for e in exercises]
    areas = sorted({area for e in exercises for area in e.areas})
    off: set[str] = set()
    problems: list[str] = []
    for entry in disabled:
        if not isinstance(entry, str):
            problems.append(f"exercises.disabled: {entry!r} is not text (an id or a focus area)")
            continue
        wanted = entry.strip().lower()
        hits = [e.id for e in exercises if e.id == wanted or wanted in e.areas]
        if not hits:
            problems.append(
                f"exercises.disabled: {entry!r} is neither an exercise id nor a focus area"
                + _did_you_mean(wanted, [*ids, *areas])
            )
        off.update(hits)
    return frozenset(off), problems


def _movement_rotation(library: Library) -> tuple[str, ...]:
    movers = library.for_kind(Kind.MOVEMENT)
    partners = _interleave_by_focus(
        [
            e
            for e in library.enabled()
            if Kind.MOVEMENT not in e.kinds and PAIR_FOCUS.intersection(e.areas)
        ]
    )
    short = sum(1 for e in movers if e.seconds < PAIR_BELOW)
    if not partners or not short:
        return tuple(e.id for e in movers)
    # Enough rounds that every partner comes up and the cycle closes on itself.
    rounds = len(partners) // math.gcd(short, len(partners))
    result: list[str] = []
    used = 0
    for _round in range(rounds):
        for e in movers:
            if e.seconds < PAIR_BELOW:
                result.append(f"{e.id}{PAIR_SEPARATOR}{partners[used % len(partners)]}")
                used += 1
            else:
                result.append(e.id)
    return tuple(result)


def _interleave_by_focus(items: Sequence[Exercise]) -> list[str]:
    """Ids taking one from each focus area in turn, so one area never runs twice."""
    groups: dict[str, list[str]] = {}
    for e in items:
        groups.setdefault(e.areas[0], []).append(e.id)
    queues = list(groups.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def _paired(first: Exercise, second: Exercise) -> Exercise:
    caveats = [c for c in (first.caveat, second.caveat) if c]
    return Exercise(
        id=f"{first.id}{PAIR_SEPARATOR}{second.id}",
        name=f"{first.name} + {second.name}",
        focus=f"{first.focus}, {second.focus}",
        seconds=first.seconds + second.seconds,
        steps=first.steps + second.steps,
        caveat=" ".join(caveats) or None,
        kinds=first.kinds,
    )


def _areas(focus: str) -> tuple[str, ...]:
    return tuple(a.strip().lower() for a in focus.split(",") if a.strip())


def _sorted_kinds(kinds: frozenset[Kind]) -> list[Kind]:
    return sorted(kinds, key=lambda k: k.value)


def _numbered(steps: Sequence[str]) -> list[str]:
    return [f"{n}. {step}" for n, step in enumerate(steps, start=1)]


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
