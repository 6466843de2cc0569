"""Policy: the keys IT locks and the ranges it bounds, read from policy.d files.

A policy file's keys are locked (`read_policy` returns them as entries); its
`[bounds]` table bounds number and duration keys (`Bound`). How the other
layers meet them (a warning, a dropped value, a problem, a clamped default)
is ergod.config.layers' business; `out_of_bounds` is the problem a system
file's value outside a bound gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.config.document import Document
from ergod.config.entries import BOUNDS_TABLE, Entry, entries
from ergod.config.errors import Problem
from ergod.config.schema import KEYS
from ergod.config.values import expected_text, show_value
from ergod.errors import did_you_mean


@dataclass(frozen=True)
class Bound:
    """A policy's allowed range for one number or duration key."""

    key: str
    low: Any
    high: Any
    file: Path

    def allows(self, value: Any) -> bool:
        return bool(self.low <= value <= self.high)

    @property
    def text(self) -> str:
        written = KEYS[self.key].written
        return f"[{show_value(written(self.low))}, {show_value(written(self.high))}]"


def read_bounds(doc: Document, table: object, problems: list[Problem]) -> list[Bound]:
    if not isinstance(table, dict):
        line, column = doc.position(BOUNDS_TABLE)
        problems.append(Problem(doc.path, BOUNDS_TABLE, line, column, "a table", show_value(table)))
        return []
    bounds = []
    for key, raw in table.items():
        line, column = doc.position(f"{BOUNDS_TABLE}.{key}")
        name = f"{BOUNDS_TABLE}.{key}"
        if key not in KEYS:
            hint = did_you_mean(key, sorted(KEYS))
            problems.append(
                Problem(doc.path, name, line, column, "a known key", "an unknown key", hint)
            )
            continue
        if not KEYS[key].numeric:
            expected = "a bound on a number or duration key"
            problems.append(Problem(doc.path, name, line, column, expected, f"a bound on {key}"))
            continue
        try:
            if not isinstance(raw, list) or len(raw) != 2:
                raise ValueError("expected [LOW, HIGH]")
            low, high = (KEYS[key].parse(end) for end in raw)
            if low > high:
                raise ValueError("expected LOW at most HIGH in [LOW, HIGH]")
        except ValueError as exc:
            problems.append(
                Problem(doc.path, name, line, column, expected_text(exc), show_value(raw))
            )
            continue
        assert doc.path is not None  # policy files are files
        bounds.append(Bound(key, low, high, doc.path))
    return bounds


def read_policy(doc: Document, problems: list[Problem]) -> tuple[list[Entry], list[Bound]]:
    """The keys a policy file locks, and its bounds; what is wrong goes to `problems`."""
    data = dict(doc.data)
    bounds = read_bounds(doc, data.pop(BOUNDS_TABLE), problems) if BOUNDS_TABLE in data else []
    return entries(doc, data, "", problems, policy=True), bounds


def out_of_bounds(
    bound: Bound, file: Path | None, line: int | None, column: int | None, raw: object
) -> Problem:
    """The problem of a value (`raw`, at file:line:column) outside `bound`."""
    expected = f"a value within {bound.text} (bounds set by policy {bound.file})"
    return Problem(file, bound.key, line, column, expected, show_value(raw))
