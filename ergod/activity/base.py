"""The contracts between ergod and the platform's view of the user.

Two small protocols, one per question the daemon asks:

* `ActivitySource`: when was the last keyboard or mouse input, and when does
  the user come back after an absence? Idle-time first: the daemon asks
  `idle_seconds()` only at the moments the engine needs an answer, and arms a
  one-shot `watch_return()` while an absence is in progress. Nothing polls.
* `SessionSource`: the screen was locked or unlocked, the machine suspended or
  resumed.

`Watch` is what a one-shot return watch offers its source; `OneShot` is the
guard every return watch shares (XRecord, pynput): its callback runs at most
once, whoever reports first.

Privacy: a source never looks at, keeps, logs or passes on which key, button or
position an event had. The only thing that leaves a source is a time.

Times are seconds on the daemon's clock (`CLOCK_BOOTTIME` on Linux: it keeps
running during suspend), read through the `Clock` callable the source is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

Clock = Callable[[], float]
"""Returns the current time in seconds on the daemon's clock."""


class SourceUnavailable(Exception):
    """This source cannot work here; the message says why and what would help."""


@dataclass(frozen=True)
class SourceSettings:
    """What the configuration tells a source that must know it before it starts.

    Only sources that are told of absences rather than asked (Wayland's idle
    notifications) use these; the others ignore them. `threshold` is the
    engine's `Rules.watch_threshold` (the default rules' value by default);
    `ignore_inhibitors` is `[activity] inhibitors = "ignore"`.
    """

    threshold: float = 20.0
    ignore_inhibitors: bool = False


class ActivitySource(Protocol):
    """Idle time and return-from-absence for one platform mechanism.

    Threading contract:
    * `start()` and `stop()` are called from the daemon's main thread; `stop()`
      joins every thread the source started, within a bounded time.
    * `idle_seconds()` may be called from any thread, is cheap (no event
      backlog, well under 50 ms) and returns seconds since the last input.
      It raises `SourceUnavailable` if the mechanism went away (X died).
    * `watch_return(callback)` arms a one-shot watch: `callback(t)` is called
      exactly once, from a thread of the source, at the first input after the
      watch was armed, with `t` on the daemon's clock; then the watch disarms
      itself (and any listener started for it stops). `cancel_watch()`
      disarms without calling. Arming twice replaces the callback.
    * Per-input work is O(1): store a time, never build a queue.
    * Optional `on_failure(callback)`: a source whose own thread sees the
      mechanism go away (a compositor closing its socket) calls `callback()`
      from that thread, once, so the daemon need not wait for its next question.
    """

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def idle_seconds(self) -> float: ...

    def watch_return(self, callback: Callable[[float], None]) -> None: ...

    def cancel_watch(self) -> None: ...


class SessionEvent(str, Enum):
    """Session changes; values are the engine's event names."""

    LOCK = "lock"
    UNLOCK = "unlock"
    SLEEP = "sleep"
    WAKE = "wake"


class SessionSource(Protocol):
    """Lock and suspend notifications from one mechanism (logind, ScreenSaver).

    Threading contract: `start(callback)` starts listening; `callback(event, t)`
    is called from the source's thread, `t` on the daemon's clock. `stop()`
    joins the source's threads within a bounded time. A source whose bus goes
    away reports it through the callback-less `healthy()` answer rather than
    raising in its thread.
    """

    name: str

    def start(self, callback: Callable[[SessionEvent, float], None]) -> None: ...

    def stop(self) -> None: ...

    def healthy(self) -> bool: ...


class OneShot:
    """The guard every return watch shares: `callback(t)` at most once.

    `fire(t)` reports a return (the watch's own first event, or one the owner
    learnt another way, an idle query) unless one was reported or the watch
    cancelled; then `_halt()` stops listening. `cancel()` disarms without
    calling back, halts and `_join()`s (bounded). Subclasses give `_halt`
    (non-blocking, any thread, safe twice) and `_join`.
    """

    def __init__(self, callback: Callable[[float], None]) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def fire(self, t: float) -> bool:
        """Report the return at `t` unless already reported or cancelled."""
        with self._lock:
            if self._done:
                return False
            self._done = True
        try:
            self._callback(t)
        finally:
            self._halt()
        return True

    def cancel(self) -> None:
        """Disarm without calling back; joins the listening threads (bounded)."""
        with self._lock:
            self._done = True
        self._halt()
        self._join()

    def _halt(self) -> None:
        raise NotImplementedError

    def _join(self) -> None:
        raise NotImplementedError


class Watch(Protocol):
    """A one-shot return watch (`ReturnWatch`, `xrecord.RecordWatch`)."""

    @property
    def done(self) -> bool: ...

    def start(self) -> None: ...

    def fire(self, t: float) -> bool: ...

    def cancel(self) -> None: ...

    def threads(self) -> list[threading.Thread]: ...
