"""Reading the adherence store: row values and the queries the summary and export need.

Contract: `open_reader(path)` opens the database read-only (an SQLite `mode=ro`
URI; it never creates, migrates or repairs anything) and checks it first:
a symlink raises StoreError (the writer never follows one either), a missing
file raises MissingStoreError, a corrupt or foreign one
CorruptStoreError, a newer schema NewerSchemaError (all StoreError, exit 1,
with a message naming the file). Rows come back as frozen values whose times
are timezone-aware datetimes in the UTC offset they were recorded in; query
bounds are timezone-aware datetimes too (any zone: they are compared in UTC).
A reader is for one thread; close it (or use `with`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.store.schema import (
    TABLES,
    DaemonEvent,
    MissingStoreError,
    StoreError,
    check_readable,
    from_columns,
    to_columns,
)


@dataclass(frozen=True)
class BoutRow:
    """A sitting bout as stored; `length` in seconds."""

    id: int
    start: datetime
    end: datetime
    length: float


@dataclass(frozen=True)
class BreakRow:
    """A due break and its outcome, with the spec's section 7 fields.

    `outcome` is `suppressed` for a break that fell due in quiet time.
    """

    id: int
    kind: Kind
    due: datetime
    first_prompt: datetime | None
    prompts: int
    snoozes: int
    outcome: Outcome
    outcome_at: datetime | None
    latency: float | None
    exercise: str | None


@dataclass(frozen=True)
class ActivitySpan:
    """Time with input, at one-second resolution; adjacent spans are merged."""

    start: datetime
    end: datetime

    @property
    def length(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class DaemonEventRow:
    """The daemon started, stopped or reloaded its configuration."""

    id: int
    at: datetime
    event: DaemonEvent
    detail: str


def open_reader(path: Path) -> StoreReader:
    """A read-only view of the database at `path` (raises StoreError if unusable)."""
    if path.is_symlink():
        # The writer never follows one (schema.claim_file); what is behind it is not ours.
        raise StoreError(f"{path} is a symbolic link; ergod does not follow one to its database")
    if not path.exists():
        raise MissingStoreError(f"no adherence data yet: {path} does not exist")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        check_readable(conn, path)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise StoreError(f"cannot read {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return StoreReader(conn, path)


class StoreReader:
    """Queries over one database; every `*_between` is `[start, end)` on the row's
    first moment (a bout's start, a break's due, an event's time), except
    `activity_between`, which takes the spans overlapping the window."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def bouts_between(self, start: datetime, end: datetime) -> list[BoutRow]:
        rows = self._query(
            "SELECT id, start_utc, start_offset, end_utc, end_offset, length_s FROM bouts "
            "WHERE start_utc >= ? AND start_utc < ? ORDER BY start_utc, id",
            start,
            end,
        )
        return [
            BoutRow(
                id=r[0], start=from_columns(r[1], r[2]), end=from_columns(r[3], r[4]), length=r[5]
            )
            for r in rows
        ]

    def breaks_between(self, start: datetime, end: datetime) -> list[BreakRow]:
        rows = self._query(
            "SELECT id, kind, due_utc, due_offset, first_prompt_utc, first_prompt_offset, "
            "prompts, snoozes, outcome, outcome_utc, outcome_offset, latency_s, exercise "
            "FROM breaks WHERE due_utc >= ? AND due_utc < ? ORDER BY due_utc, id",
            start,
            end,
        )
        return [_break_row(r) for r in rows]

    def activity_between(self, start: datetime, end: datetime) -> list[ActivitySpan]:
        """Spans that overlap `[start, end)`, clipped to it (a clipped end takes the
        bound's offset), touching ones merged."""
        lo, lo_off = to_columns(start)
        hi, hi_off = to_columns(end)
        rows = self._conn.execute(
            "SELECT start_utc, start_offset, end_utc, end_offset FROM activity "
            "WHERE end_utc > ? AND start_utc < ? ORDER BY start_utc, id",
            (lo, hi),
        ).fetchall()
        spans: list[tuple[tuple[float, int], tuple[float, int]]] = []
        for s, s_off, e, e_off in rows:
            first = (lo, lo_off) if s < lo else (float(s), int(s_off))
            last = (hi, hi_off) if e > hi else (float(e), int(e_off))
            if spans and first[0] <= spans[-1][1][0]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], last))
            else:
                spans.append((first, last))
        return [ActivitySpan(from_columns(*a), from_columns(*b)) for a, b in spans]

    def daemon_events_between(self, start: datetime, end: datetime) -> list[DaemonEventRow]:
        rows = self._query(
            "SELECT id, at_utc, at_offset, event, detail FROM daemon_events "
            "WHERE at_utc >= ? AND at_utc < ? ORDER BY at_utc, id",
            start,
            end,
        )
        return [
            DaemonEventRow(
                id=r[0], at=from_columns(r[1], r[2]), event=DaemonEvent(r[3]), detail=r[4]
            )
            for r in rows
        ]

    def first_and_last(self) -> tuple[datetime, datetime] | None:
        """The earliest and latest moment recorded anywhere, None if nothing is."""
        moments: list[tuple[float, int]] = []
        for table, column, offset in (
            ("bouts", "start_utc", "start_offset"),
            ("bouts", "end_utc", "end_offset"),
            ("breaks", "due_utc", "due_offset"),
            ("activity", "start_utc", "start_offset"),
            ("activity", "end_utc", "end_offset"),
            ("daemon_events", "at_utc", "at_offset"),
        ):
            for order in ("ASC", "DESC"):
                row = self._conn.execute(
                    f"SELECT {column}, {offset} FROM {table} ORDER BY {column} {order} LIMIT 1"
                ).fetchone()
                if row is not None:
                    moments.append((float(row[0]), int(row[1])))
        if not moments:
            return None
        first, last = min(moments), max(moments)
        return from_columns(*first), from_columns(*last)

    def any_prompt_shown(self) -> bool:
        """Whether any break was ever shown: False means the next prompt is the first
        since install (it carries the safety pointer)."""
        row = self._conn.execute(
            "SELECT 1 FROM breaks WHERE first_prompt_utc IS NOT NULL LIMIT 1"
        ).fetchone()
        return row is not None

    def last_shown_exercise(self) -> str | None:
        """The exercise of the most recent break whose prompt was shown, open ones included."""
        row = self._conn.execute(
            "SELECT exercise FROM breaks WHERE first_prompt_utc IS NOT NULL "
            "AND exercise IS NOT NULL ORDER BY first_prompt_utc DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of one table (see schema.TABLES), columns by name, in id order."""
        cursor = self._conn.execute(f"SELECT * FROM {_table(table)} ORDER BY id")
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def export_columns(self, table: str) -> list[str]:
        """The keys `export_rows` gives a row of `table`, in order."""
        names = [r[1] for r in self._conn.execute(f"PRAGMA table_info({_table(table)})")]
        return [_export_name(n) for n in names if not _is_offset(n)]

    def export_rows(self, table: str) -> Iterator[dict[str, object]]:
        """Rows for `ergod data export`: each `<x>_utc`/`<x>_offset` pair becomes one
        ISO 8601 local time with its offset under `<x>` (`outcome_utc`: `outcome_at`)."""
        for row in self.rows(table):
            out: dict[str, object] = {}
            for name, value in row.items():
                if _is_offset(name):
                    continue
                if name.endswith("_utc"):
                    base = name[: -len("_utc")]
                    offset = row.get(f"{base}_offset")
                    out[_export_name(name)] = (
                        None
                        if value is None or offset is None
                        else from_columns(float(value), int(offset)).isoformat()
                    )
                else:
                    out[name] = value
            yield out

    def _query(self, sql: str, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
        lo, _ = to_columns(start)
        hi, _ = to_columns(end)
        rows: list[tuple[Any, ...]] = self._conn.execute(sql, (lo, hi)).fetchall()
        return rows


def _break_row(r: tuple[Any, ...]) -> BreakRow:
    def moment(utc: Any, offset: Any) -> datetime | None:
        if utc is None or offset is None:
            return None
        return from_columns(float(utc), int(offset))

    due = moment(r[2], r[3])
    assert due is not None  # NOT NULL in the schema
    return BreakRow(
        id=int(r[0]),
        kind=Kind(r[1]),
        due=due,
        first_prompt=moment(r[4], r[5]),
        prompts=int(r[6]),
        snoozes=int(r[7]),
        outcome=Outcome(r[8]),
        outcome_at=moment(r[9], r[10]),
        latency=None if r[11] is None else float(r[11]),
        exercise=None if r[12] is None else str(r[12]),
    )


def _export_name(column: str) -> str:
    """`due_utc` -> `due`; `outcome_utc` -> `outcome_at` (the spec's name; `outcome` is taken)."""
    if not column.endswith("_utc"):
        return column
    base = column[: -len("_utc")]
    return "outcome_at" if base == "outcome" else base


def _is_offset(column: str) -> bool:
    return column.endswith("_offset")


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; the store has {', '.join(TABLES)}")
    return name
