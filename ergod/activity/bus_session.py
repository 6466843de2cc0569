"""The shell of the session sources that listen on D-Bus (logind, ScreenSaver).

`BusSessionSource` implements `SessionSource` up to what each service says:
one `BusLink`, whose receiver thread calls `callback(event, clock())`;
`stop()` joins it within a bounded time; `healthy()` is False once the bus
connection is gone, and no exception ever escapes the thread. A subclass
names its `service` and `bus`, subscribes in `_subscribe(link)` and turns
messages into `_set(topic, on)` for the topics "lock" and "sleep"; each
change is reported once (`_seed` records the state found at start).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ergod.activity.base import Clock, SessionEvent, SourceUnavailable
from ergod.dbus import SYSTEM, BusError, BusLink, LinkOwner

if TYPE_CHECKING:
    from jeepney import Message

_ON_OFF = {
    "lock": (SessionEvent.LOCK, SessionEvent.UNLOCK),
    "sleep": (SessionEvent.SLEEP, SessionEvent.WAKE),
}


class BusSessionSource(LinkOwner):
    """Shared shell of the D-Bus session sources; subclasses subscribe and parse."""

    name = "bus"
    service = ""
    bus = SYSTEM

    def __init__(self, clock: Clock, address: str, *, timeout: float = 2.0) -> None:
        super().__init__(address, timeout=timeout)
        self._clock = clock
        self._callback: Callable[[SessionEvent, float], None] | None = None
        self._lock = threading.Lock()
        self._state: dict[str, bool] = {}

    def start(self, callback: Callable[[SessionEvent, float], None]) -> None:
        self._callback = callback
        try:
            self._subscribe(self.connect(self.service, self.bus, self._on_message))
        except BusError as exc:
            self.stop()
            raise SourceUnavailable(f"{self.name}: {exc}") from exc

    def _subscribe(self, link: BusLink) -> None:
        raise NotImplementedError

    def _on_message(self, msg: Message) -> None:
        raise NotImplementedError

    def _set(self, topic: str, on: bool) -> None:
        """Report `topic` (lock, sleep) turning on or off, once per change."""
        with self._lock:
            if self._state.get(topic) == on:
                return
            self._state[topic] = on
        callback = self._callback
        if callback is not None:
            on_event, off_event = _ON_OFF[topic]
            callback(on_event if on else off_event, self._clock())

    def _seed(self, topic: str, on: bool) -> None:
        """Record the state found at start without reporting it."""
        with self._lock:
            self._state[topic] = on
