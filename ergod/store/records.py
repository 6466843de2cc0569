"""What one record does to the adherence database, as the writer thread applies it.

`Insert` (a bout, a daemon event), `BreakRow` (a break, open or resolved:
ergod.store.breaks), `Span` (activity, merged with the stored spans it
touches) and `Prune` (retention) are the writer's queued operations;
`apply(conn, op, cut)` carries one out inside the caller's transaction.
`cut` is the moment before which the user forgot everything (`ergod data
forget`): a row of that time is dropped, a bout or span that straddles it
keeps only its part after the cut.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from ergod.store.breaks import BreakRow, upsert_break
from ergod.store.schema import delete_before


@dataclass(frozen=True)
class Insert:
    sql: str
    params: tuple[object, ...]
    moment: float  # the row's first moment (UTC epoch seconds), for a forget's cut
    bout: bool = False  # a bout that began before a forget keeps its part after it

    def after(self, cut: float) -> Insert | None:
        """This row as it may be written once what came before `cut` was forgotten."""
        if self.moment >= cut:
            return self
        if not self.bout:
            return None
        _, start_offset, end, end_offset, _ = self.params
        assert isinstance(end, float)
        if end <= cut:
            return None
        return Insert(self.sql, (cut, start_offset, end, end_offset, end - cut), cut, True)


@dataclass(frozen=True)
class Span:
    start: int
    start_offset: int
    end: int
    end_offset: int

    def after(self, cut: float) -> Span | None:
        if self.end < cut:
            return None
        return self if self.start >= cut else replace(self, start=-int(-cut // 1))


@dataclass(frozen=True)
class Prune:
    before_utc: float


Op = Insert | Span | Prune | BreakRow


def apply(conn: sqlite3.Connection, op: Op, cut: float) -> None:
    """Write one record; what happened before `cut` the user has forgotten."""
    if isinstance(op, Insert):
        kept = op.after(cut)
        if kept is not None:
            conn.execute(kept.sql, kept.params)
    elif isinstance(op, Span):
        span = op.after(cut)
        if span is not None:
            _merge_span(conn, span)
    elif isinstance(op, BreakRow):
        if op.due >= cut:  # an open break's row, or its outcome
            upsert_break(conn, op)
    else:
        delete_before(conn, op.before_utc)


def _merge_span(conn: sqlite3.Connection, span: Span) -> None:
    """Insert a span as the union with every stored span it overlaps or touches.

    Stored spans are disjoint (every write comes through here), so the ones to
    merge are the first by end that end at or after the new start, up to the
    first that starts after the new end. Spans mostly arrive in time order, so
    this reads a row or two, not the table.
    """
    rows: list[tuple[int, int, int, int, int]] = []
    cursor = conn.execute(
        "SELECT id, start_utc, start_offset, end_utc, end_offset FROM activity "
        "INDEXED BY activity_end WHERE end_utc >= ? ORDER BY end_utc",
        (span.start,),
    )
    for row in cursor:
        if row[1] > span.end:
            break
        rows.append(row)
    cursor.close()  # a statement left running would hold up the commit on old SQLite
    if not rows:
        conn.execute(
            "INSERT INTO activity (start_utc, start_offset, end_utc, end_offset) "
            "VALUES (?, ?, ?, ?)",
            (span.start, span.start_offset, span.end, span.end_offset),
        )
        return
    # Each end keeps the offset of the span it came from.
    start = min([(span.start, span.start_offset), *((r[1], r[2]) for r in rows)])
    end = max([(span.end, span.end_offset), *((r[3], r[4]) for r in rows)])
    conn.execute(
        "UPDATE activity SET start_utc = ?, start_offset = ?, end_utc = ?, end_offset = ? "
        "WHERE id = ?",
        (*start, *end, rows[0][0]),
    )
    conn.executemany("DELETE FROM activity WHERE id = ?", [(r[0],) for r in rows[1:]])
