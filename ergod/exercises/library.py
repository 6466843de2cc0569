"""The exercise library: loading and checking the built-in and custom cards.

Contract:
* The built-in cards ship as ergod/data/exercises.toml in exactly the schema of
  a user's `[[exercises.custom]]` tables, and both go through one validator,
  `ergod.exercises.fields.check_table` (the config schema uses it too).
* `load_library(custom, disabled)` returns the `Library`: built-ins, then the
  user's exercises, with `[exercises] disabled` (ids or focus areas) applied.
  Every problem is reported at once in an `ExerciseConfigError` (exit 2) that
  names the exercise and the field, each an `ExerciseProblem` keyed by the
  config key it is about. It reads only the packaged data file.
* `duration_warnings(library, durations)` says which custom cards are shorter
  than a break they are offered for (they are shown in a set, see
  `ergod.exercises.rotation`) and which kind no set can make long enough.

The package's parts: `model` (Exercise, Library, sets), `fields` (the
validator of one table), `rotation` (which card each break offers), `card`
(the words of a card), `safety` (the safety line and the red flags). This
module also re-exports the names other packages use, so
`from ergod.exercises.library import render_card` keeps working.
Pure values and functions: no module-level state, no clock, no work at import.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ergod.core.rules import Kind
from ergod.durations import human_duration
from ergod.errors import UsageError
from ergod.exercises.card import (
    NOTIFICATION_BODY_MAX,
    TITLE_MAX,
    format_card,
    render_card,
    to_json,
)
from ergod.exercises.fields import CUSTOM, DISABLED, check_table
from ergod.exercises.model import (
    DEFAULT_KINDS,
    EYES,
    PAIR_SEPARATOR,
    SET_SEPARATOR,
    Exercise,
    Library,
    UnknownExerciseError,
    kind_name,
    localized,
    suggestion,
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
    "ExerciseProblem",
    "Library",
    "UnknownExerciseError",
    "cards",
    "duration_warnings",
    "format_card",
    "kind_name",
    "load_library",
    "localized",
    "render_card",
    "rotation",
    "rotations",
    "short_cards",
    "to_json",
]

_BUILTIN = "built-in exercises"


@dataclass(frozen=True)
class ExerciseProblem:
    """One thing wrong with the exercise settings and the config key it is about
    (`CUSTOM` or `DISABLED`; "built-in exercises" for a broken package)."""

    key: str
    text: str  # "exercise 'x': id is used twice"

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


class ExerciseConfigError(UsageError):
    """The exercise settings are wrong; `problems` lists each, for the config layer."""

    def __init__(self, problems: Sequence[ExerciseProblem]) -> None:
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
    builtin, problems = _parse_all(_builtin_tables(), _BUILTIN, frozenset())
    if problems:
        raise ExerciseConfigError(problems)
    builtin_ids = frozenset(e.id for e in builtin)
    mine, problems = _parse_all(custom, CUSTOM, builtin_ids)
    exercises = builtin + mine
    off, disabled_problems = _resolve_disabled(exercises, disabled)
    problems += disabled_problems
    if problems:
        raise ExerciseConfigError(problems)
    return Library(exercises, off)


def _builtin_tables() -> list[Mapping[str, object]]:
    from ergod.files import package_data

    text = package_data("exercises.toml").read_text(encoding="utf-8")
    tables = _toml_loads(text).get("exercise", [])
    if not isinstance(tables, list):
        raise ExerciseConfigError([ExerciseProblem(_BUILTIN, "[[exercise]] is not a list")])
    return tables


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    data: dict[str, Any] = tomllib.loads(text)
    return data


def _parse_all(
    tables: Sequence[object], key: str, taken: frozenset[str]
) -> tuple[tuple[Exercise, ...], list[ExerciseProblem]]:
    exercises: list[Exercise] = []
    problems: list[ExerciseProblem] = []
    seen = set(taken)
    for index, table in enumerate(tables, start=1):
        exercise, found = _parse(table, f"table #{index}")
        problems += [ExerciseProblem(key, text) for text in found]
        if exercise is None:
            continue
        if exercise.id in taken:
            text = (
                f"exercise {exercise.id!r}: id is a built-in exercise; give yours another id "
                f'(and switch the built-in off with disabled = ["{exercise.id}"] if you want)'
            )
            problems.append(ExerciseProblem(key, text))
        elif exercise.id in seen:
            problems.append(ExerciseProblem(key, f"exercise {exercise.id!r}: id is used twice"))
        seen.add(exercise.id)
        exercises.append(exercise)
    return tuple(exercises), problems


def _parse(table: object, where: str) -> tuple[Exercise | None, list[str]]:
    """One Exercise from a table that `check_table` passes, or what is wrong with it."""
    found = check_table(table)
    raw_id = table.get("id") if isinstance(table, Mapping) else None
    label = f"exercise {raw_id!r}" if isinstance(raw_id, str) and raw_id else where
    if found or not isinstance(table, Mapping):
        return None, [f"{label}: {problem}" for problem in found]
    caveat = table.get("caveat")
    kinds = table.get("kinds")
    return Exercise(
        id=str(table["id"]),
        name=str(table["name"]).strip(),
        focus=str(table["focus"]).strip(),
        seconds=int(table["seconds"]),
        steps=tuple(str(step).strip() for step in table["steps"]),
        caveat=caveat.strip() if isinstance(caveat, str) else None,
        kinds=DEFAULT_KINDS if kinds is None else frozenset(Kind(k) for k in kinds),
    ), []


def _resolve_disabled(
    exercises: Sequence[Exercise], disabled: Sequence[object]
) -> tuple[frozenset[str], list[ExerciseProblem]]:
    ids = [e.id for e in exercises]
    areas = sorted({area for e in exercises for area in e.areas})
    off: set[str] = set()
    problems: list[ExerciseProblem] = []
    for entry in disabled:
        if not isinstance(entry, str):
            text = f"{entry!r} is not text (an id or a focus area)"
            problems.append(ExerciseProblem(DISABLED, text))
            continue
        wanted = entry.strip().lower()
        hits = [e.id for e in exercises if e.id == wanted or wanted in e.areas]
        if not hits:
            text = f"{entry!r} is neither an exercise id nor a focus area" + suggestion(
                wanted, [*ids, *areas]
            )
            problems.append(ExerciseProblem(DISABLED, text))
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
                    f"exercise {e.id!r} lasts {human_duration(e.seconds)}, less than a "
                    f"{kind.value} break's duration ({human_duration(duration)}); it is shown "
                    "in a set with others so the break counts",
                )
    named: set[Kind] = set()
    for kind, card in short_cards(library, durations):
        if kind in named:
            continue  # one line per kind, naming the first set that falls short
        named.add(kind)
        add(
            f"breaks.{kind.value}.duration",
            f"no set of {kind.value} exercises lasts the {kind.value} duration "
            f"({human_duration(durations[kind])}): {card.id!r} takes "
            f"{human_duration(card.seconds)}; add exercises or shorten the duration",
        )
    return list(dict.fromkeys(lines))
