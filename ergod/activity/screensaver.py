"""Idle time and lock state from org.freedesktop.ScreenSaver (KDE and others).

Two adapters over the session bus:

* `ScreenSaverIdleSource` (`ActivitySource`): `GetSessionIdleTime` at
  /org/freedesktop/ScreenSaver (KDE also answers at /ScreenSaver). The unit is
  not fixed by any spec: KDE's implementation returns KIdleTime's
  milliseconds, and so do the tools that read it on KDE (Safe Eyes divides by
  1000), so milliseconds is the default; `unit=1.0` reads seconds.
  The interface has no event for the user's return and ergod does not poll,
  so the return comes from the same one-shot XRecord watch as the X11 source
  (`listener.QuerySource`). That needs an X display and not a Wayland session
  (XWayland sees only X clients' input): elsewhere `probe()` raises
  `SourceUnavailable` saying so, and the selector moves on. On KDE Wayland no
  return event exists for a client (KWin may not even answer the idle query),
  so ergod falls back to schedule-only mode there.
* `ScreenSaverSessionSource` (`SessionSource`): the `ActiveChanged(b)` signal,
  true is LOCK and false is UNLOCK, deduplicated (KDE emits it on both paths)
  against the state `GetActive` reported at start.

Privacy: only a duration and a boolean ever come over this interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ergod.activity.base import Clock, SourceUnavailable
from ergod.activity.bus_session import BusSessionSource
from ergod.activity.listener import READY_TIMEOUT, QuerySource, require_return_watch
from ergod.dbus import (
    SESSION,
    BusError,
    BusLink,
    DBusCallError,
    LinkOwner,
    bus_address,
    signal_header,
)

if TYPE_CHECKING:
    from jeepney import Message

BUS_NAME = "org.freedesktop.ScreenSaver"
OBJECT_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
INTERFACE = "org.freedesktop.ScreenSaver"
MILLISECONDS = 0.001


class ScreenSaverIdleSource(QuerySource):
    """`ActivitySource`: GetSessionIdleTime plus a return watch (see the module doc).

    `watch_display`: the X display the watch reads (None: pynput's watch)."""

    def __init__(
        self,
        clock: Clock,
        address: str,
        *,
        unit: float = MILLISECONDS,
        timeout: float = 1.0,
        ready_timeout: float = READY_TIMEOUT,
        watch_display: str | None = None,
    ) -> None:
        super().__init__("screensaver", clock, self._query_idle, ready_timeout, watch_display)
        self._bus = LinkOwner(address, timeout=timeout, name="screensaver")
        self._unit = unit
        self._path = OBJECT_PATHS[0]

    def start(self) -> None:
        try:
            self._bus.connect(BUS_NAME, "session")
        except BusError as exc:
            raise SourceUnavailable(f"screensaver: {exc}") from exc
        self._path = self._answering_path()

    def stop(self) -> None:
        super().stop()
        self._bus.stop()

    def healthy(self) -> bool:
        return self._bus.healthy()

    def _query_idle(self) -> float:
        return self._idle_at(self._path)

    def _answering_path(self) -> str:
        """The first object path whose GetSessionIdleTime answers (KDE has two)."""
        for path in OBJECT_PATHS:
            try:
                self._idle_at(path)
            except SourceUnavailable:
                continue
            return path
        self.stop()
        raise SourceUnavailable(f"screensaver: {BUS_NAME} does not answer GetSessionIdleTime")

    def _idle_at(self, path: str) -> float:
        from jeepney import DBusAddress, new_method_call

        link = self._bus.link
        if link is None:
            raise SourceUnavailable("screensaver: source is not started")
        target = DBusAddress(path, bus_name=BUS_NAME, interface=INTERFACE)
        try:
            (idle,) = link.call(new_method_call(target, "GetSessionIdleTime"))
        except BusError as exc:
            raise SourceUnavailable(f"screensaver: GetSessionIdleTime failed: {exc}") from exc
        return float(idle) * self._unit


class ScreenSaverSessionSource(BusSessionSource):
    """`SessionSource` over ActiveChanged (see the module doc)."""

    name = "screensaver"

    service = BUS_NAME
    bus = SESSION

    def _subscribe(self, link: BusLink) -> None:
        from jeepney import DBusAddress, MatchRule, new_method_call

        link.add_match(MatchRule(type="signal", interface=INTERFACE, member="ActiveChanged"))
        # After the match, so a change cannot fall between the read and the subscription.
        target = DBusAddress(OBJECT_PATHS[0], bus_name=BUS_NAME, interface=INTERFACE)
        try:
            (active,) = link.call(new_method_call(target, "GetActive"))
        except DBusCallError:
            return  # optional in some implementations: the first signal sets the state
        self._seed("lock", bool(active))

    def _on_message(self, msg: Message) -> None:
        _, interface, member = signal_header(msg)
        if interface == INTERFACE and member == "ActiveChanged" and msg.body:
            self._set("lock", bool(msg.body[0]))


def probe(clock: Clock, environ: Mapping[str, str]) -> ScreenSaverIdleSource:
    """A ScreenSaver source that answered once and can watch; returned stopped."""
    address = bus_address(environ, SESSION)
    answering = ScreenSaverIdleSource(clock, address)
    answering.start()
    answering.stop()
    try:
        display = require_return_watch(environ)
    except SourceUnavailable as exc:
        raise SourceUnavailable(
            f"screensaver: idle time answers, but the user's return cannot be seen ({exc})"
        ) from exc
    return ScreenSaverIdleSource(clock, address, watch_display=display)


def probe_session(clock: Clock, environ: Mapping[str, str]) -> ScreenSaverSessionSource:
    """A ScreenSaver lock source whose service is on the bus; returned stopped."""
    source = ScreenSaverSessionSource(clock, bus_address(environ, SESSION))
    source.start(lambda event, t: None)
    source.stop()
    return source
