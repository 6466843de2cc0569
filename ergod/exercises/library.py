"""The exercise library: loading and checking the built-in and custom cards.

Contract:
* The built-in cards ship as ergod/data/exercises.toml in exactly the schema of
  a user's `[[exercises.custom]]` tables, and both go through one validator.
* `load_library(custom, disabled)` returns the `Library`: built-ins, then the
  user's exercises, with `[exercises] disabled` (ids or focus areas) applied.
  Every problem is reported at once in an `ExerciseConfigError` (exit 2) that
  names the exercise and the field. It reads only the packaged data file.
* `duration_warnings(library, durations)` says which custom cards are shorter
  than a break they are offered for (they are shown in a set, see
  `ergod.exercises.rotation`) and which kind no set can make long enough.

The package's parts: `model` (Exercise, Library, sets), `rotation` (which
card each break offers), `card` (the words of a card), `safety` (the safety
line and the red flags). This module also re-exports the names other packages
use, so `from ergod.exercises.library import render_card` keeps working.
Pure values and functions: no module-level state, no clock, no work at import.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ergod.core.rules import Kind
from ergod.errors import UsageError
from ergod.exercises.card import (
    NOTIFICATION_BODY_MAX,
    TITLE_MAX,
    format_card,
    render_card,
    to_json,
)
from ergod.exercises.model import (
    DEFAULT_KINDS,
    EYES,
    PAIR_SEPARATOR,
    SET_SEPARATOR,
    Exercise,
    Library,
    UnknownExerciseError,
    did_you_mean,
    format_time,
    kind_name,
    localized,
)
from ergod.exercises.rotation import cards, rotation, rotations, short_cards
from ergod.exercises.safety import DISCLAIMER, RED_FLAGS, SAFETY

__all__ = [
    "DISCLAIMER",
    "EYES",
    "NOTIFICATION_BODY_MAX",
    "PAIR_SEPARATOR",
    "RED_FLAGS",
    "SAFETY",
    "SET_SEPARATOR",
    "TITLE_MAX",
    "Exercise",
    "ExerciseConfigError",
    "Library",
    "UnknownExerciseError",
    "cards",
    "duration_warnings",
    "format_card",
    "format_time",
    "kind_name",
    "load_library",
    "localized",
    "render_card",
    "rotation",
    "rotations",
    "short_cards",
    "to_json",
]

_ID = re.compile(r"^[a-z0-9_]+$")
_REQUIRED = ("id", "name", "focus", "seconds", "steps")
_FIELDS = (*_REQUIRED, "caveat", "kinds")

# Reports a problem with one field: (field name, why).
_Report = Callable[[str, str], None]


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
            bad(name, f"is not an exercise field{did_you_mean(str(name), _FIELDS)}")
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
    kinds = _kinds(table.get("kinds", [k.value for k in DEFAULT_KINDS]), bad)
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
                + did_you_mean(wanted, [*ids, *areas])
            )
        off.update(hits)
    return frozenset(off), problems


def duration_warnings(library: Library, durations: Mapping[Kind, float]) -> list[tuple[str, str]]:
    """(key, text): per custom card shorter than a break it leads, and per kind no set can fill.

    A custom card offered for `kind` (a movement card that is not a standing
    item, or any stretch card) shorter than that kind's duration is shown in a
    set with others; a kind whose cards cannot reach its duration at all gets
    one line naming a card that falls short. The key is the one to point at:
    `exercises.custom`, or `breaks.<kind>.duration`.
    """
    builtin = {e.id for e in load_library().exercises}
    lines: list[tuple[str, str]] = []

    def add(key: str, text: str) -> None:
        lines.append((key, text))

    for kind in Kind:
        duration = durations[kind]
        for e in library.for_kind(kind):
            leads = kind is Kind.STRETCH or not e.standing
            if e.id not in builtin and leads and e.seconds < duration:
                add(
                    "exercises.custom",
                    f"exercise {e.id!r} lasts {format_time(e.seconds)}, less than a {kind.value} "
                    f"break's duration ({format_time(round(duration))}); it is shown in a set "
                    "with others so the break counts",
                )
    for kind, card in short_cards(library, durations):
        add(
            f"breaks.{kind.value}.duration",
            f"no set of {kind.value} exercises lasts the {kind.value} duration "
            f"({format_time(round(durations[kind]))}): {card.id!r} takes "
            f"{format_time(card.seconds)}; add exercises or shorten the duration",
        )
    return list(dict.fromkeys(lines))
