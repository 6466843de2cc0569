"""What every quiet-time probe is and shares: the `QuietProbe` Protocol, a
failure log that speaks once per run of failures, `HeldConnectionProbe` for
probes that keep one connection open, and `bus_call` for the D-Bus ones.
Imported by each probe module and by the package (`ergod.quiet`), which
imports the probes only when it builds them.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
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
    quiet = True
    attended = False

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
