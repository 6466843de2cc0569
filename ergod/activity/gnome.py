"""GNOME and Cinnamon idle time and return watch, from the compositor's IdleMonitor over D-Bus.

Works on GNOME under X11 and Wayland, where the compositor is the only party
that sees input, and on Cinnamon, whose Muffin (a Mutter fork) serves the
same interface under its own names (`CINNAMON`). `GnomeIdleSource`
implements `ActivitySource`:

* `idle_seconds()` is one `GetIdletime` round trip (milliseconds, uint64) on
  the session bus, bounded by `timeout`. One connection is kept for the
  source's life so a query costs a round trip, not a handshake.
* `watch_return(cb)` asks Mutter for a user-active watch
  (`AddUserActiveWatch`, a one-shot watch Mutter removes once it fires) and
  calls `cb(clock())` when its `WatchFired(u id)` arrives, on the link's
  receiver thread. No polling. Mutter sends `WatchFired` only to the
  connection that added the watch, so watch and signal share the link.
* A Mutter without `AddUserActiveWatch` makes `watch_return` raise
  `SourceUnavailable`: there is deliberately no pynput fallback here, since on
  Wayland no other client can see input. Every GNOME since 3.x has the method.
* When the bus goes away, `idle_seconds()` and `watch_return()` raise
  `SourceUnavailable` and `healthy()` turns False; an armed watch then never
  fires, so the daemon should check `healthy()` when it re-plans.

Privacy: Mutter only ever tells us durations and watch ids.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ergod.activity.base import Clock, SourceUnavailable
from ergod.dbus import SESSION, BusError, LinkOwner, bus_address, signal_header

if TYPE_CHECKING:
    from jeepney import Message


@dataclass(frozen=True)
class IdleMonitor:
    """Where a compositor serves the IdleMonitor interface: bus name, path, interface."""

    source: str
    bus_name: str
    path: str

    @property
    def interface(self) -> str:
        return self.bus_name


GNOME = IdleMonitor("gnome", "org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core")
CINNAMON = IdleMonitor(
    "cinnamon", "org.cinnamon.Muffin.IdleMonitor", "/org/cinnamon/Muffin/IdleMonitor/Core"
)
BUS_NAME, OBJECT_PATH, INTERFACE = GNOME.bus_name, GNOME.path, GNOME.interface


class GnomeIdleSource(LinkOwner):
    """`ActivitySource` over a Mutter-shaped IdleMonitor (see the module doc)."""

    def __init__(
        self, clock: Clock, address: str, *, timeout: float = 1.0, monitor: IdleMonitor = GNOME
    ) -> None:
        super().__init__(address, timeout=timeout, name=monitor.source)
        self.protocol = monitor.interface
        self._monitor = monitor
        self._clock = clock
        self._lock = threading.Lock()
        self._callback: Callable[[float], None] | None = None
        self._watch_id: int | None = None
        # Bumped by every arm and cancel: a watch id from an older arm is stale.
        self._generation = 0

    def start(self) -> None:
        from jeepney import MatchRule

        try:
            link = self.connect(self._monitor.bus_name, "session", self._on_message)
            link.add_match(
                MatchRule(type="signal", interface=self._monitor.interface, member="WatchFired")
            )
        except BusError as exc:
            self.stop()
            raise SourceUnavailable(f"{self.name}: {exc}") from exc

    def stop(self) -> None:
        with self._lock:
            self._callback = None
            self._watch_id = None
            self._generation += 1
        super().stop()

    def idle_seconds(self) -> float:
        (millis,) = self._call("GetIdletime")
        return float(millis) / 1000.0

    def watch_return(self, callback: Callable[[float], None]) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            stale = self._watch_id
            self._callback = callback
            self._watch_id = None
        if stale is not None:
            self._remove_watch(stale)
        adopted: list[int] = []

        def adopt(reply: Message) -> None:
            # Runs on the receiver thread before any WatchFired that follows the reply.
            from jeepney import MessageType

            if reply.header.message_type != MessageType.method_return:
                return
            with self._lock:
                if self._generation == generation:
                    self._watch_id = int(reply.body[0])
                    adopted.append(self._watch_id)

        try:
            (watch_id,) = self._call("AddUserActiveWatch", on_reply=adopt)
        except SourceUnavailable:
            with self._lock:
                if self._generation == generation:
                    self._callback = None
            raise
        if not adopted:
            # Cancelled or re-armed while the call was in flight: drop the orphan.
            self._remove_watch(int(watch_id))

    def cancel_watch(self) -> None:
        with self._lock:
            self._generation += 1
            stale = self._watch_id
            self._callback = None
            self._watch_id = None
        if stale is not None:
            self._remove_watch(stale)

    def _remove_watch(self, watch_id: int) -> None:
        # Mutter already dropped a watch that fired; a gone bus dropped them all.
        with contextlib.suppress(SourceUnavailable):
            self._call("RemoveWatch", "u", (watch_id,))

    def _call(
        self,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        on_reply: Callable[[Message], None] | None = None,
    ) -> tuple[Any, ...]:
        from jeepney import DBusAddress, new_method_call

        link = self._link
        monitor = self._monitor
        if link is None:
            raise SourceUnavailable(f"{self.name}: source is not started")
        target = DBusAddress(monitor.path, bus_name=monitor.bus_name, interface=monitor.interface)
        try:
            return link.call(
                new_method_call(target, method, signature, body),
                timeout=self._timeout,
                on_reply=on_reply,
            )
        except BusError as exc:
            raise SourceUnavailable(
                f"{self.name}: {monitor.interface}.{method} failed: {exc}"
            ) from exc

    def _on_message(self, msg: Message) -> None:
        _, interface, member = signal_header(msg)
        if interface != self._monitor.interface or member != "WatchFired" or not msg.body:
            return
        with self._lock:
            if self._watch_id is None or int(msg.body[0]) != self._watch_id:
                return
            callback, self._callback, self._watch_id = self._callback, None, None
        if callback is not None:
            callback(self._clock())


def probe(
    clock: Clock, environ: Mapping[str, str], monitor: IdleMonitor = GNOME
) -> GnomeIdleSource:
    """A source that answered one idle query; returned stopped (call `start()`)."""
    source = GnomeIdleSource(clock, bus_address(environ, SESSION), monitor=monitor)
    source.start()
    try:
        source.idle_seconds()
    finally:
        source.stop()
    return source
