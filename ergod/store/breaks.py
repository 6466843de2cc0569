"""A break's row in the store: written once open (`pending`), completed in place.

Contract: `break_row(record, wall, due)` turns an engine `BreakRecord` into
column values (`due` given: the UTC moment and offset fixed when the break was
first stored open); `upsert_break(conn, row)` completes the `pending` row of
the same break, found by `(kind, due_utc)`, or inserts a new row. It is
idempotent, so a batch retried after a failed commit writes the same rows.
Runs in the writer thread's transaction (ergod.store.writer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ergod.core.model import BreakRecord
from ergod.store.schema import to_columns

COLUMNS = (
    "kind, due_utc, due_offset, first_prompt_utc, first_prompt_offset, prompts, snoozes, "
    "outcome, outcome_utc, outcome_offset, latency_s, exercise"
)


@dataclass(frozen=True)
class BreakRow:
    """A break's columns: `values` are those of COLUMNS after kind and due_utc."""

    kind: str
    due: float
    values: tuple[object, ...]


def break_row(
    record: BreakRecord,
    wall: Callable[[float], datetime],
    due: tuple[float, int] | None = None,
) -> BreakRow:
    due_utc, due_off = due if due is not None else to_columns(wall(record.due))
    first, first_off = _optional(record.first_prompt, wall)
    out, out_off = _optional(record.outcome_at, wall)
    values = (
        due_off,
        first,
        first_off,
        record.prompts,
        record.snoozes,
        record.outcome.value,
        out,
        out_off,
        record.latency,
        record.exercise,
    )
    return BreakRow(record.kind.value, due_utc, values)


def upsert_break(conn: sqlite3.Connection, row: BreakRow) -> None:
    """Complete the open row of this break, if there is one, else add a row."""
    updated = conn.execute(
        "UPDATE breaks SET due_offset = ?, first_prompt_utc = ?, first_prompt_offset = ?, "
        "prompts = ?, snoozes = ?, outcome = ?, outcome_utc = ?, outcome_offset = ?, "
        "latency_s = ?, exercise = ? WHERE kind = ? AND due_utc = ? AND outcome = 'pending'",
        (*row.values, row.kind, row.due),
    ).rowcount
    if not updated:
        conn.execute(
            f"INSERT INTO breaks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.kind, row.due, *row.values),
        )


def _optional(
    moment: float | None, wall: Callable[[float], datetime]
) -> tuple[float | None, int | None]:
    if moment is None:
        return None, None
    return to_columns(wall(moment))
