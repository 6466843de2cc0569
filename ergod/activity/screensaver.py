"""Idle time and lock state from org.freedesktop.ScreenSaver (KDE and others).

Two adapters over the session bus:

* `ScreenSaverIdleSource` (`ActivitySource`): `GetSessionIdleTime` at
  /org/freedesktop/ScreenSaver (KDE also answers at /ScreenSaver). The unit is
  not fixed by any spec: KDE's implementation returns KIdleTime's
  milliseconds, and so do the tools that read it on KDE (Safe Eyes divides by
  1000), so milliseconds is the default; `unit=1.0` reads seconds. KWin on
  Wayland may not answer at all, which `probe()` turns into
  `SourceUnavailable`.
  The interface has no event for the user's return, and ergod does not poll,
  so this source is idle-only: `supports_return_watch` is False and
  `watch_return()` raises `SourceUnavailable`. The selector pairs it with a
  source that can watch (X11 input listener) or chooses another source.
* `ScreenSaverSessionSource` (`SessionSource`): the `ActiveChanged(b)` signal,
  true is LOCK and false is UNLOCK, deduplicated (KDE emits it on both paths).

Privacy: only a duration and a boolean ever come over this interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ergod.activity.base import Clock, SourceUnavailable
from ergod.activity.logind import BusSessionSource
from ergod.dbus import SESSION, BusError, BusLink, LinkOwner, bus_address, signal_header

if TYPE_CHECKING:
    from jeepney import Message

BUS_NAME = "org.freedesktop.ScreenSaver"
OBJECT_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
INTERFACE = "org.freedesktop.ScreenSaver"
MILLISECONDS = 0.001


class ScreenSaverIdleSource(LinkOwner):
    """Idle-only `ActivitySource` over GetSessionIdleTime (see the module doc)."""

    name = "screensaver"
    supports_return_watch = False

    def __init__(
        self, clock: Clock, address: str, *, unit: float = MILLISECONDS, timeout: float = 1.0
    ) -> None:
        super().__init__(address, timeout=timeout)
        self._clock = clock
        self._unit = unit
        self._path = OBJECT_PATHS[0]

    def start(self) -> None:
        try:
            self._connect(BUS_NAME, "session")
        except BusError as exc:
            raise SourceUnavailable(f"screensaver: {exc}") from exc
        self._path = self._answering_path()

    def idle_seconds(self) -> float:
        return self._idle_at(self._path)

    def watch_return(self, callback: Callable[[float], None]) -> None:
        raise SourceUnavailable(
            "screensaver: org.freedesktop.ScreenSaver has no return event; "
            "pair this idle-only source with an input listener"
        )

    def cancel_watch(self) -> None:
        """Nothing to cancel: no watch can be armed."""

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

        link = self._link
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
        from jeepney import MatchRule

        link.add_match(MatchRule(type="signal", interface=INTERFACE, member="ActiveChanged"))

    def _on_message(self, msg: Message) -> None:
        _, interface, member = signal_header(msg)
        if interface == INTERFACE and member == "ActiveChanged" and msg.body:
            self._set("lock", bool(msg.body[0]))


def probe(clock: Clock, environ: Mapping[str, str]) -> ScreenSaverIdleSource:
    """An idle-only ScreenSaver source that answered once; returned stopped."""
    source = ScreenSaverIdleSource(clock, bus_address(environ, SESSION))
    source.start()
    source.stop()
    return source


def probe_session(clock: Clock, environ: Mapping[str, str]) -> ScreenSaverSessionSource:
    """A ScreenSaver lock source whose service is on the bus; returned stopped."""
    source = ScreenSaverSessionSource(clock, bus_address(environ, SESSION))
    source.start(lambda event, t: None)
    source.stop()
    return source
