"""The contract between the daemon and whatever keeps its history: `Store`.

`StoreWriter` (SQLite, writer.py) is the implementation; a test or another
backend can stand in through the same protocol.

Threading contract:
* `bout`, `break_record`, `break_opened`, `activity`, `daemon_event` and `prune_older_than`
  may be called from any thread, return at once (no disk I/O in the caller)
  and never raise for a storage problem; they raise ValueError only for a
  programming error (a naive datetime). What they record reaches the disk in
  a later batch, in call order.
* `start()` and `close()` are called from the daemon's main thread; `close()`
  writes what is pending and joins the store's thread within its timeout.
* `flush()` blocks until what was recorded before it is on disk (or it fails,
  or the timeout passes); for shutdown paths and tests.
* `status` is "ok" or a one-line reason; `written` and `dropped` count records.

Privacy: a store receives times, kinds, outcomes, counts and an exercise id,
never which key, button or pointer position an input had.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ergod.core.model import BreakRecord
from ergod.store.schema import DaemonEvent


class Store(Protocol):
    """Where the daemon records what the engine resolved."""

    @property
    def status(self) -> str: ...

    @property
    def written(self) -> int: ...

    @property
    def dropped(self) -> int: ...

    def start(self) -> None: ...

    def bout(self, start: datetime, end: datetime) -> None: ...

    def break_record(self, record: BreakRecord, wall: Callable[[float], datetime]) -> None: ...

    def break_opened(self, record: BreakRecord, wall: Callable[[float], datetime]) -> None: ...

    def activity(self, start: datetime, end: datetime) -> None: ...

    def daemon_event(self, event: DaemonEvent, at: datetime, detail: str = "") -> None: ...

    def prune_older_than(self, seconds: float, now: float | None = None) -> None: ...

    def flush(self, timeout: float = 10.0) -> bool: ...

    def close(self, timeout: float = 5.0) -> bool: ...
