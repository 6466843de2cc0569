"""What every quiet-time probe is and shares: the `QuietProbe` Protocol, a
failure log that speaks once per run of failures, and `HeldConnectionProbe`
for probes that keep one connection open. Imported by each probe module and
by the package (`ergod.quiet`), which imports the probes only when it builds
them.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

FULLSCREEN_ON = "a window is fullscreen"
"""The reason both full-screen probes give (X11 `fullscreen`, Wayland `toplevels`)."""


class QuietProbe(Protocol):
    """One reason prompts may have to wait.

    Threading contract: `check()` is called from the daemon's engine thread
    only, one call at a time; `close()` may come from any thread, once, at
    shutdown, and a `check()` after it may reopen what it needs. `check()`
    must be cheap (under 20 ms typically) and never raise: it returns a short
    human reason ("zoom is running") or None, and on failure returns None and
    logs the failure once (again only after a success in between).
    """

    name: str  # a stable key ("processes", "fullscreen", "dnd")

    def check(self) -> str | None: ...

    def close(self) -> None: ...


class FailureLog:
    """Log a probe's failure once per run of failures, not on every check."""

    def __init__(self, log: logging.Logger, probe: str) -> None:
        self._log = log
        self._probe = probe
        self._failing = False

    def failed(self, detail: str) -> None:
        if not self._failing:
            self._failing = True
            self._log.warning("quiet-time probe %s failed, ignoring it: %s", self._probe, detail)

    def ok(self) -> None:
        if self._failing:
            self._failing = False
            self._log.info("quiet-time probe %s works again", self._probe)


class HeldConnectionProbe:
    """A probe that keeps one connection: a lock, a failure log, a fresh start on errors.

    `_ask()` answers yes or no on the connection (opening it if needed);
    anything it raises means the connection is suspect: it is dropped, the
    failure logged once, and the answer is None.
    """

    name = ""
    reason = ""

    def __init__(self, log: logging.Logger | None) -> None:
        self._lock = threading.Lock()
        self._failure = FailureLog(log or logging.getLogger(__name__), self.name)

    def check(self) -> str | None:
        with self._lock:
            try:
                on = self._ask()
            except Exception as exc:  # the contract: never raise into the engine thread
                self._drop()
                self._failure.failed(f"{type(exc).__name__}: {exc}")
                return None
        self._failure.ok()
        return self.reason if on else None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _ask(self) -> bool:
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError
