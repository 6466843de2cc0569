"""The fields of an exercise table and the one validator of them.

The built-in cards (ergod/data/exercises.toml) and a user's
`[[exercises.custom]]` tables share one schema: `REQUIRED` and the optional
`caveat` and `kinds` (`FIELDS`). `check_table(table, show)` lists everything
wrong with one table as `FieldProblem`s (field, expected, found); `show`
writes a found value the way the caller's messages do (the config layer
passes its TOML rendering). The config schema reports them per field with
file and line; `ergod.exercises.library` runs the same check before it
builds a card. What needs all tables at once (an id used twice, a built-in's
id, `[exercises] disabled` naming nothing) is the library's.

Pure functions, standard library only (and ergod.core.rules for the kinds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ergod.core.rules import Kind
from ergod.errors import did_you_mean

CUSTOM = "exercises.custom"
DISABLED = "exercises.disabled"
"""The config keys a user's exercise settings live under."""

REQUIRED = ("id", "name", "focus", "seconds", "steps")
FIELDS = (*REQUIRED, "caveat", "kinds")
DEFAULT_KINDS = (Kind.STRETCH.value,)
"""What a table without `kinds` is offered in."""

_ID = re.compile(r"^[a-z0-9_]+$")
_KIND_NAMES = tuple(kind.value for kind in Kind)


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a table; `field` None is the table as a whole."""

    field: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field is not None else ""
        return f"{where}expected {self.expected}, found {self.found}"


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _ID.match(value) is not None


def _is_seconds(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_steps(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(step) for step in value)


def _is_kinds(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(v in _KIND_NAMES for v in value)


_TEXT = "non-empty text"
# Field -> (check, what was expected). In FIELDS order.
_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "id": (_is_id, 'lowercase letters, digits and "_" only, like "neck_roll"'),
    "name": (_is_text, _TEXT),
    "focus": (_is_text, _TEXT),
    "seconds": (_is_seconds, "a whole number of seconds above zero"),
    "steps": (_is_steps, "a non-empty list of non-empty strings"),
    "caveat": (_is_text, _TEXT),
    "kinds": (_is_kinds, "a non-empty list of " + " or ".join(f'"{k}"' for k in _KIND_NAMES)),
}


def check_table(table: object, show: Callable[[object], str] = repr) -> list[FieldProblem]:
    """Everything wrong with one exercise table; empty if it makes a card."""
    if not isinstance(table, Mapping):
        return [FieldProblem(None, f"a table with {', '.join(REQUIRED)}", show(table))]
    problems: list[FieldProblem] = []
    for name, value in table.items():
        check = _CHECKS.get(str(name))
        if check is None:
            hint = did_you_mean(str(name), FIELDS)
            hint = f" ({hint})" if hint else ""
            expected = f"one of the fields {', '.join(FIELDS)}"
            problems.append(FieldProblem(str(name), expected, f"an unknown field{hint}"))
        elif not check[0](value):
            problems.append(FieldProblem(str(name), check[1], show(value)))
    missing = [name for name in REQUIRED if name not in table]
    problems += [FieldProblem(None, f'a field "{name}"', "none") for name in missing]
    return problems
