"""Quiet-time probes: is a configured program running, a window full screen,
do-not-disturb on (spec section 6).

One Protocol, `QuietProbe`, one module per question (`processes`, `fullscreen`,
`dnd`); `build_probes(config.quiet, environ, log)` makes the ones `[quiet]`
asks for and this session can answer. The probes are asked only right before
an engine wake-up that may show a prompt, and every `RECHECK` seconds while
they hold quiet time on; see docs/quiet-time.md. They look at names and window
states only, never at input. The state they feed is `ergod.core.quiet`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ergod.config.schema import QuietConfig


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


class _FailureLog:
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
        self._failure = _FailureLog(log or logging.getLogger(__name__), self.name)

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


def build_probes(
    config: QuietConfig, environ: Mapping[str, str], log: logging.Logger
) -> list[QuietProbe]:
    """The probes `[quiet]` asks for that this session can answer; logs the rest."""
    from ergod.quiet.dnd import DndProbe
    from ergod.quiet.fullscreen import fullscreen_probe
    from ergod.quiet.processes import ProcessProbe

    probes: list[QuietProbe] = []
    if config.processes:
        probes.append(ProcessProbe(config.processes, log))
    if config.fullscreen:
        fullscreen, why = fullscreen_probe(environ, log)
        if fullscreen is not None:
            probes.append(fullscreen)
        else:
            log.info("quiet.fullscreen: not watching fullscreen windows: %s", why)
    if config.dnd:
        address = environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if address:
            probes.append(DndProbe(address, log))
        else:
            log.info("quiet.dnd: not reading do-not-disturb: no D-Bus session bus")
    return probes


def ask(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each probe's answer by name, for `QuietState.update`."""
    return {probe.name: probe.check() for probe in probes}
