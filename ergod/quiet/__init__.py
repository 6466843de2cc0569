"""Quiet-time and attended-time probes: a call, a configured program running, a
window full screen, do-not-disturb on, an idle inhibitor (spec section 6).

One Protocol, `QuietProbe`, one module per question (`calls`, `processes`,
`fullscreen`, `dnd`, `inhibitors`); `build_probes(config.quiet, environ, log,
activity=config.activity)` makes the ones the configuration asks for and this
session can answer. Each probe says what its answer means: `quiet` (hold
prompts back) and/or `attended` (the user is at the desk without input). A
call is both; an idle inhibitor (a video) is attended only; the rest are quiet
only. `ask()` gives the quiet answers to `ergod.core.quiet.QuietState`,
`ask_attended()` the attended ones to `ergod.core.attended.AttendedState`;
`ergod.quiet.rounds` does both and says which engine events follow. When the
daemon asks is in docs/quiet-time.md. Probes look at names and states only,
never at input.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ergod.config.schema import Inhibitors

if TYPE_CHECKING:
    from ergod.config.schema import ActivityConfig, QuietConfig
    from ergod.dbus import BusLink


class QuietProbe(Protocol):
    """One reason prompts may have to wait.

    Threading contract: `check()` is called from the daemon's engine thread
    only, one call at a time; `close()` may come from any thread, once, at
    shutdown, and a `check()` after it may reopen what it needs. `check()`
    must be cheap (under 20 ms typically) and never raise: it returns a short
    human reason ("zoom is running") or None, and on failure returns None and
    logs the failure once (again only after a success in between).

    `quiet` and `attended` say what a reason means; at least one is true.
    """

    name: str  # a stable key ("calls", "processes", "fullscreen", "dnd", "inhibitors")
    quiet: bool  # a reason holds prompts back
    attended: bool  # a reason means the user is at the desk, input or not

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
    quiet = True
    attended = False

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


def bus_call(
    link: BusLink,
    bus_name: str,
    path: str,
    interface: str,
    member: str,
    args: tuple[str, tuple[Any, ...]] | None = None,
    *,
    timeout: float | None = None,
) -> tuple[Any, ...] | None:
    """A method call's reply body; None when nobody offers that service or member.

    Carries NO_AUTO_START, so asking never launches a service that is not running.
    Bus trouble (a lost link, a timeout) raises BusError for the probe to handle.
    """
    from jeepney import DBusAddress, new_method_call
    from jeepney.low_level import MessageFlag

    from ergod.dbus import DBusCallError

    signature, body = args if args is not None else (None, ())
    message = new_method_call(
        DBusAddress(path, bus_name=bus_name, interface=interface), member, signature, body
    )
    message.header.flags |= MessageFlag.no_auto_start
    try:
        return tuple(link.call(message, timeout=timeout))
    except DBusCallError:
        # ServiceUnknown, UnknownMethod/Property, InvalidArgs, portal NotFound:
        # this desktop does not offer that reading.
        return None


def build_probes(
    config: QuietConfig,
    environ: Mapping[str, str],
    log: logging.Logger,
    *,
    activity: ActivityConfig | None = None,
) -> list[QuietProbe]:
    """The probes `[quiet]` (and `[activity] inhibitors`, when `activity` is
    given) ask for that this session can answer; logs the rest."""
    from ergod.quiet.dnd import DndProbe
    from ergod.quiet.fullscreen import fullscreen_probe
    from ergod.quiet.processes import ProcessProbe

    probes: list[QuietProbe] = []
    if config.calls:
        from ergod.quiet.calls import CallProbe

        probes.append(CallProbe(environ, log))
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
    if activity is not None and activity.inhibitors is Inhibitors.PRESENCE:
        from ergod.quiet.inhibitors import InhibitorProbe

        probes.append(InhibitorProbe(environ, log))
    return probes


def ask(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each quiet probe's answer by name, for `QuietState.update`."""
    return {probe.name: probe.check() for probe in probes if probe.quiet}


def ask_attended(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each attended probe's answer by name, for `AttendedState.update`."""
    return {probe.name: probe.check() for probe in probes if probe.attended}
