"""The known keys of one configuration document, validated: entries and problems.

`entries(doc, data, prefix, problems, policy, skip)` walks a document's tables
and returns an `Entry` (key, raw and typed value, position) for each key of
`ergod.config.schema.KEYS` it holds; everything else (an unknown key, a
wrong value, a value where a table belongs) becomes a `Problem` in
`problems`. Keys in `skip` are passed over (the daemon's forgiving reading of
the user's file drops them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.config.document import Document
from ergod.config.errors import Problem
from ergod.config.schema import KEYS, SECTIONS
from ergod.config.values import FieldErrors, expected_text, show_value
from ergod.errors import did_you_mean

BOUNDS_TABLE = "bounds"


def unknown_key(path: Path | None, doc: Document, key: str, *, policy: bool) -> Problem:
    line, column = doc.position(key)
    hint = did_you_mean(key, sorted([*KEYS, *SECTIONS]))
    if key == BOUNDS_TABLE and not policy:
        hint = "[bounds] is read only from policy files (policy.d/*.toml)"
    return Problem(path, key, line, column, "a known key", "an unknown key", hint)


@dataclass(frozen=True)
class Entry:
    """One known key of a document: as written, as typed, and where."""

    key: str
    raw: object
    value: Any
    line: int | None
    column: int | None


def entries(
    doc: Document,
    data: Mapping[str, Any],
    prefix: str,
    problems: list[Problem],
    policy: bool,
    skip: frozenset[str] = frozenset(),
) -> list[Entry]:
    """Validated values of the known keys in `data` but `skip`; problems for the rest."""
    result: list[Entry] = []
    for name, raw in data.items():
        key = f"{prefix}{name}"
        if key in skip:
            continue
        if key in KEYS:
            line, column = doc.position(key)
            try:
                result.append(Entry(key, raw, KEYS[key].parse(raw), line, column))
            except FieldErrors as exc:
                for suffix, expected, found in exc.errors:
                    sub_line, sub_column = doc.position(key + suffix)
                    problems.append(
                        Problem(doc.path, key + suffix, sub_line, sub_column, expected, found)
                    )
            except ValueError as exc:
                problems.append(
                    Problem(doc.path, key, line, column, expected_text(exc), show_value(raw))
                )
        elif key in SECTIONS and isinstance(raw, dict):
            result += entries(doc, raw, f"{key}.", problems, policy, skip)
        elif key in SECTIONS:
            line, column = doc.position(key)
            problems.append(Problem(doc.path, key, line, column, "a table", show_value(raw)))
        else:
            problems.append(unknown_key(doc.path, doc, key, policy=policy))
    return result
