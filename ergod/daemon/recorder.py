"""What the daemon writes to the adherence log, in the store's terms.

`Recorder` sits between the engine's effects (times on the engine's clock)
and the SQLite `StoreWriter` (aware local times): sitting bouts, resolved
breaks, daemon start, stop and reloads, the day's daily-limit notice, and coarse
activity spans. Its writer honours `ergod data forget`: nothing from before the
cut comes back. A span opens when
activity resumes (a return, or input seen at start) and closes when an absence
reaches the engine's watch threshold, so a past week can be replayed against
another configuration (`ergod simulate --from-history`).

Retention (`[store] retention`) is the writer's: it prunes with its first
batch and once a day after; a reload hands it the new length.

Threading contract: called from the engine thread only; every call returns at
once (the writer batches on its own thread and reports problems itself).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from ergod import __version__
from ergod.core import Bout, BreakRecord
from ergod.store import DaemonEvent, StoreWriter


class Recorder:
    """The daemon's side of the store."""

    def __init__(
        self,
        path: Path,
        local: Callable[[float], datetime],
        log: logging.Logger,
        retention: float | None = None,
    ) -> None:
        self._writer = StoreWriter(path, log, retention=retention, honour_forget=True)
        self._local = local
        self._log = log
        self._span_start: float | None = None

    @property
    def status(self) -> str:
        return self._writer.status

    @property
    def path(self) -> Path:
        return self._writer.path

    def start(self, now: float, retention: float | None = None) -> None:
        """Open the store and record the start; `retention`, when given, replaces
        the writer's (it prunes by it from then on)."""
        if retention is not None:
            self._writer.retention = retention
        self._writer.start()
        self._log.info("adherence log: %s (%s)", self._writer.path, self._writer.status)
        self._writer.daemon_event(DaemonEvent.START, self._local(now), __version__)

    def set_retention(self, retention: float | None) -> None:
        """A reload's `[store] retention`; the writer prunes by it from now on."""
        self._writer.retention = retention

    def bout(self, bout: Bout) -> None:
        self._writer.bout(self._local(bout.start), self._local(bout.end))

    def break_record(self, record: BreakRecord) -> None:
        self._writer.break_record(record, self._local)

    def breaks_open(self, records: Iterable[BreakRecord]) -> None:
        """Breaks open now (outcome `pending`): stored at once, so a stop or a
        crash leaves them counted as pending; their resolution completes the row."""
        for record in records:
            self._writer.break_opened(record, self._local)

    def activity_resumed(self, last_input: float) -> None:
        if self._span_start is None:
            self._span_start = last_input

    def absence_began(self, last_input: float | None) -> None:
        """An absence reached the threshold: the span up to `last_input` is done."""
        if self._span_start is not None and last_input is not None:
            self._writer.activity(self._local(self._span_start), self._local(last_input))
        self._span_start = None

    def reloaded(self, now: float) -> None:
        """The configuration was read again (as docs/privacy.md says is stored)."""
        self._writer.daemon_event(DaemonEvent.RELOAD, self._local(now), __version__)

    def daily_limit(self, now: float, active: float) -> None:
        """The daily-limit notice was shown at `now`, after `active` s of activity."""
        self._writer.daemon_event(DaemonEvent.DAILY_LIMIT, self._local(now), f"{active:.0f}")

    def earlier(self, start: datetime, end: datetime) -> tuple[float, datetime | None]:
        """Stored before this run, between two local times: (active seconds,
        when the daily-limit notice was shown). Nothing when unreadable."""
        from ergod.store import StoreError
        from ergod.store.reader import open_reader

        try:
            with open_reader(self._writer.path) as reader:
                active = sum(span.length for span in reader.activity_between(start, end))
                events = reader.daemon_events_between(start, end)
        except (StoreError, sqlite3.Error, ValueError):
            return 0.0, None
        shown = [e.at for e in events if e.event is DaemonEvent.DAILY_LIMIT]
        return active, shown[0] if shown else None

    def any_prompt_shown(self) -> bool:
        """Whether the store holds a shown prompt (False: the next is the first
        since install). An unreadable store counts as shown: no safety line twice."""
        from ergod.store import MissingStoreError, StoreError
        from ergod.store.reader import open_reader

        try:
            with open_reader(self._writer.path) as reader:
                return reader.any_prompt_shown()
        except MissingStoreError:
            return False
        except (StoreError, sqlite3.Error, ValueError):
            return True

    def stop(
        self,
        now: float,
        last_input: float | None,
        pending: Iterable[BreakRecord] = (),
        bout: Bout | None = None,
    ) -> None:
        """Record the open span, the breaks still open (`pending`), the bout in
        progress (up to the last input) and the stop; write what is left, close."""
        self.absence_began(last_input)
        self.breaks_open(pending)
        if bout is not None and bout.end > bout.start:
            self.bout(bout)
        self._writer.daemon_event(DaemonEvent.STOP, self._local(now))
        self._writer.close()
