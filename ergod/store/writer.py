"""The daemon's side of the adherence store: non-blocking records, batched writes.

Threading contract: every recording method (`bout`, `break_record`,
`activity`, `daemon_event`, `prune_older_than`) may be called from any thread;
it converts its arguments to column values, puts them on a queue and returns.
It never blocks on the disk and never raises for a storage problem. One writer
thread owns the SQLite connection and commits what has queued up as one
transaction every `batch_interval` seconds (2 s), so a kill -9 loses at most
that much and, with WAL, never corrupts the file.

Retention: with `retention` set (seconds; `[store] retention`), the first batch
and then one batch a day also delete what is older than that. The daemon may
assign `writer.retention` on a reload; `prune_older_than` prunes on demand.

Forgetting: with `honour_forget` (the daemon's writer), each batch reads the
cut of the last `ergod data forget` (`schema.forgotten_before`) and drops
what happened before it (a break that fell due, an event), keeping only the
part after the cut of a bout or activity span that straddles it: a break
open when the user forgot everything does not come back with its old date.

Failure contract (`status` says which, for `ergod status` and the doctor):
* "ok": writing works.
* "read-only: ...", "disk full: ...", "write failed: ...": a write or the open
  failed. Logged once as a warning naming the file; records are kept in a
  bounded backlog (the oldest dropped beyond `backlog_limit`, counted in
  `dropped`) and written on a retry every `retry_after` seconds; when a retry
  works, that is logged once too.
* "unavailable: ...": the file is corrupt, not ergod's, or has a newer schema.
  Logged once as an error; the file is never touched again by this writer and
  records are dropped. The daemon keeps prompting without the store.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ergod.core.model import BreakRecord
from ergod.store.breaks import break_row
from ergod.store.records import Insert, Op, Prune, Span, apply
from ergod.store.schema import DaemonEvent, StoreError, forgotten_before, open_store, to_columns

OK = "ok"
_PRUNE_EVERY = 86400.0


@dataclass
class _Control:
    """A flush or stop request; `ok` is set by the writer thread before `done`."""

    stop: bool
    done: threading.Event
    ok: bool = False


class Recording:
    """The recording methods: each turns its arguments into one `Op` (column
    values) and hands it to `_put`; any thread, never blocks. `StoreWriter`
    is the one `_put`: a queue its writer thread drains."""

    def __init__(self) -> None:
        self._open_lock = threading.Lock()
        self._open_dues: dict[tuple[str, float], tuple[float, int]] = {}

    def _put(self, op: Op) -> None:
        raise NotImplementedError

    def bout(self, start: datetime, end: datetime) -> None:
        s, s_off = to_columns(start)
        e, e_off = to_columns(end)
        self._put(
            Insert(
                "INSERT INTO bouts (start_utc, start_offset, end_utc, end_offset, length_s) "
                "VALUES (?, ?, ?, ?, ?)",
                (s, s_off, e, e_off, max(0.0, e - s)),
                s,
                bout=True,
            )
        )

    def break_record(self, record: BreakRecord, wall: Callable[[float], datetime]) -> None:
        """One resolved break; `wall` turns the engine's seconds into aware local times.

        A break recorded open before (`break_opened`) gets its row completed;
        any other is a new row.
        """
        with self._open_lock:
            due = self._open_dues.pop((record.kind.value, record.due), None)
        self._put(break_row(record, wall, due))

    def break_opened(self, record: BreakRecord, wall: Callable[[float], datetime]) -> None:
        """A break that is open now (outcome `pending`): stored at once, so a summary
        taken meanwhile, a stop or a crash leaves it counted as pending. Calling it
        again for the same break (kind and due) updates its prompts and snoozes;
        `break_record` later completes the same row."""
        key = (record.kind.value, record.due)
        with self._open_lock:
            # The due moment is converted once: a wall-clock step between now and
            # the outcome must not turn one break into two rows.
            due = self._open_dues.setdefault(key, to_columns(wall(record.due)))
        self._put(break_row(record, wall, due))

    def activity(self, start: datetime, end: datetime) -> None:
        """A span with input; stored widened to whole seconds and merged with the
        stored spans it overlaps or touches."""
        s, s_off = to_columns(start)
        e, e_off = to_columns(end)
        lo, hi = int(s // 1), -int(-e // 1)
        if hi >= lo:
            self._put(Span(lo, s_off, hi, e_off))

    def daemon_event(self, event: DaemonEvent, at: datetime, detail: str = "") -> None:
        utc, offset = to_columns(at)
        self._put(
            Insert(
                "INSERT INTO daemon_events (at_utc, at_offset, event, detail) VALUES (?, ?, ?, ?)",
                (utc, offset, DaemonEvent(event).value, detail),
                utc,
            )
        )

    def prune_older_than(self, seconds: float, now: float | None = None) -> None:
        """Delete, with the next batch, the records that ended more than `seconds` ago."""
        self._put(Prune((time.time() if now is None else now) - seconds))


class StoreWriter(Recording):
    """Records what the engine resolved into the database at `path`."""

    def __init__(
        self,
        path: Path,
        log: logging.Logger,
        *,
        batch_interval: float = 2.0,
        retry_after: float = 30.0,
        backlog_limit: int = 10_000,
        retention: float | None = None,
        honour_forget: bool = False,
    ) -> None:
        super().__init__()
        self.path = path
        self.retention = retention
        self._honour_forget = honour_forget
        self._log = log
        self._next_prune = 0.0  # time.monotonic() of the next automatic prune
        self._interval = batch_interval
        self._retry_after = retry_after
        self._limit = backlog_limit
        self._queue: queue.SimpleQueue[Op | _Control] = queue.SimpleQueue()
        self._pending: deque[Op] = deque()
        self._conn: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0
        self._status = "not started"
        self._unavailable = False
        self._closed = False
        self.written = 0  # records committed since start
        self.dropped = 0  # records lost: backlog overflow, or the store unavailable

    @property
    def status(self) -> str:
        return self._status

    def start(self) -> None:
        """Open (creating or migrating) the database and start the writer thread.

        A problem is reported through `status` and the log, never raised.
        """
        self._open()
        self._thread = threading.Thread(target=self._run, name="ergod-store", daemon=True)
        self._thread.start()

    # -- blocking: shutdown and tests ----------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything recorded so far now; True if it is on disk."""
        return self._control(stop=False, timeout=timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is left, close the file and stop the thread (waits at most `timeout`)."""
        if self._thread is None:
            return True
        deadline = time.monotonic() + timeout
        ok = self._control(stop=True, timeout=timeout)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._thread = None
        self._closed = True
        return ok

    def _control(self, stop: bool, timeout: float) -> bool:
        thread = self._thread
        if thread is None or not thread.is_alive():
            return False
        request = _Control(stop=stop, done=threading.Event())
        self._queue.put(request)
        return request.done.wait(timeout) and request.ok

    def _put(self, op: Op) -> None:
        if self._unavailable or self._closed:
            self.dropped += 1
            return
        self._queue.put(op)

    # -- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:
            # A bug must not take the daemon down, nor let the queue grow without a reader.
            self._log.exception("store: the writer thread failed")
            self._give_up(f"internal error in the store writer: {type(exc).__name__}: {exc}")

    def _loop(self) -> None:
        due: float | None = None  # when the pending batch is to be committed
        while True:
            timeout = None if due is None else max(0.0, due - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if isinstance(item, _Control):
                item.ok = self._write(force=True)
                if item.stop:
                    self._close_connection()
                    item.done.set()
                    return
                item.done.set()
                due = None if not self._pending else time.monotonic() + self._interval
                continue
            if item is not None:
                self._add(item)
                if due is None:
                    due = time.monotonic() + self._interval
            if due is not None and time.monotonic() >= due:
                self._write(force=False)
                # After a failure, sleep until the retry rather than waking each interval.
                later = max(time.monotonic() + self._interval, self._retry_at)
                due = later if self._pending else None

    def _add(self, op: Op) -> None:
        if self._unavailable:
            self.dropped += 1
            return
        retention = self.retention
        if retention is not None and time.monotonic() >= self._next_prune:
            self._pending.append(Prune(time.time() - retention))
            self._next_prune = time.monotonic() + _PRUNE_EVERY
        self._pending.append(op)
        while len(self._pending) > self._limit:
            self._pending.popleft()
            self.dropped += 1

    def _write(self, force: bool) -> bool:
        """Commit the pending records as one transaction; False if they are still pending."""
        if self._unavailable:
            return False
        if not self._pending:
            return self._conn is not None
        if not force and time.monotonic() < self._retry_at:
            return False
        if self._conn is None and not self._open():
            return False
        assert self._conn is not None
        batch = list(self._pending)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            cut = forgotten_before(self._conn) if self._honour_forget else 0.0
            for op in batch:
                apply(self._conn, op, cut)
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            if type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError):
                self._failed(exc)
                return False
            # IntegrityError, ProgrammingError...: a bug in a record, not a problem of
            # the file. Retrying would block every later record behind it: drop the batch.
            self._log.error("store: dropped %d records that SQLite refused: %s", len(batch), exc)
            self.dropped += len(batch)
            self._pending.clear()
            return False
        for _ in batch:
            self._pending.popleft()
        self.written += sum(1 for op in batch if not isinstance(op, Prune))
        self._succeeded()
        return True

    def _open(self) -> bool:
        try:
            self._conn = open_store(self.path)
        except StoreError as exc:
            self._give_up(exc.message)
            return False
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def _succeeded(self) -> None:
        if self._status != OK:
            if self._status not in ("not started",):
                self._log.info(
                    "store: writing to %s works again (%d records dropped meanwhile)",
                    self.path,
                    self.dropped,
                )
            self._status = OK

    def _failed(self, exc: BaseException) -> None:
        """A problem the file may recover from: keep the backlog, retry later."""
        if type(exc) is sqlite3.DatabaseError:
            # malformed image, not a database: the file itself is broken.
            self._give_up(f"{self.path} is not a usable ergod database ({exc}); ergod leaves it")
            return
        status = _classify(self.path, exc)
        self._retry_at = time.monotonic() + self._retry_after
        if status.split(":", 1)[0] != self._status.split(":", 1)[0]:
            self._log.warning(
                "store: %s; keeping up to %d records in memory and retrying every %gs",
                status,
                self._limit,
                self._retry_after,
            )
        self._status = status
        if self._conn is not None and "disk I/O" in str(exc):
            # an I/O error can leave the connection unusable; open afresh on the retry.
            self._close_connection()

    def _give_up(self, message: str) -> None:
        self._log.error("store: %s; not recording history until ergod restarts", message)
        self._status = f"unavailable: {message}"
        self._unavailable = True
        self.dropped += len(self._pending)
        self._pending.clear()
        self._close_connection()

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                self._close_connection()

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


def _classify(path: Path, exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, PermissionError) or "readonly" in lowered or "read-only" in lowered:
        return f"read-only: cannot write {path} ({text})"
    if "unable to open" in lowered:
        return f"read-only: cannot create or open {path} ({text})"
    if "full" in lowered or getattr(exc, "errno", None) == 28:
        return f"disk full: cannot write {path} ({text})"
    return f"write failed: {path} ({text})"


if TYPE_CHECKING:
    from ergod.store.base import Store

    _implements: type[Store] = StoreWriter
