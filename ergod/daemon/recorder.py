"""What the daemon writes to the adherence log, in the store's terms.

`Recorder` sits between the engine's effects (times on the engine's clock)
and the SQLite `StoreWriter` (aware local times): sitting bouts, resolved
breaks, daemon start, reload and stop, and coarse activity spans. Its writer
honours `ergod data forget`: nothing from before the cut comes back. A span opens when
activity resumes (a return, or input seen at start) and closes when an absence
reaches the engine's watch threshold, so a past week can be replayed against
another configuration (`ergod simulate --from-history`).

Threading contract: called from the engine thread only; every call returns at
once (the writer batches on its own thread and reports problems itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ergod import __version__
from ergod.core import Bout, BreakRecord
from ergod.store import DaemonEvent, StoreWriter


class Recorder:
    """The daemon's side of the store."""

    def __init__(self, path: Path, local: Callable[[float], datetime], log: logging.Logger) -> None:
        self._writer = StoreWriter(path, log, honour_forget=True)
        self._local = local
        self._log = log
        self._span_start: float | None = None

    @property
    def status(self) -> str:
        return self._writer.status

    def start(self, now: float, retention: float) -> None:
        self._writer.start()
        self._log.info("adherence log: %s (%s)", self._writer.path, self._writer.status)
        self._writer.daemon_event(DaemonEvent.START, self._local(now), __version__)
        self.prune(retention)

    def prune(self, retention: float) -> None:
        self._writer.prune_older_than(retention)

    def bout(self, bout: Bout) -> None:
        self._writer.bout(self._local(bout.start), self._local(bout.end))

    def break_record(self, record: BreakRecord) -> None:
        self._writer.break_record(record, self._local)

    def activity_resumed(self, last_input: float) -> None:
        if self._span_start is None:
            self._span_start = last_input

    def absence_began(self, last_input: float | None) -> None:
        """An absence reached the threshold: the span up to `last_input` is done."""
        if self._span_start is not None and last_input is not None:
            self._writer.activity(self._local(self._span_start), self._local(last_input))
        self._span_start = None

    def reloaded(self, now: float) -> None:
        """The configuration was reloaded (docs/privacy.md lists these events)."""
        self._writer.daemon_event(DaemonEvent.RELOAD, self._local(now), __version__)

    def stop(self, now: float, last_input: float | None) -> None:
        """Record the open span and the stop, write what is left, close."""
        self.absence_began(last_input)
        self._writer.daemon_event(DaemonEvent.STOP, self._local(now))
        self._writer.close()
