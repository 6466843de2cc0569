"""Fakes for the daemon's parts, behind the same Protocols as the real adapters.

Only what cannot be driven in-process is faked: time (a virtual clock the
test moves), the user (a `FakeSource` that knows when the last input was and
fires its return watch like a real one), the desktop's lock signals
(`FakeSession`) and the screen (`FakeNotifier`). The store stays real SQLite
in a temporary directory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from ergod.activity.base import SessionEvent, SourceUnavailable
from ergod.notify.base import ActionCallback, Delivery, Message


class VirtualClock:
    """The engine's clock and a wall clock that move together, only when told."""

    def __init__(self, start: float = 1000.0, wall: datetime | None = None) -> None:
        self.t = start
        self._wall0 = wall or datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
        self._t0 = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t

    def wall(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.t - self._t0)


class FakeSource:
    """An `ActivitySource` over a virtual user: `type_at(t)` is an input at `t`."""

    def __init__(self, clock: VirtualClock, name: str = "fake") -> None:
        self.name = name
        self._clock = clock
        self.last_input = clock()
        self.started = 0
        self.stopped = 0
        self.broken = False
        self.watch: Callable[[float], None] | None = None

    def start(self) -> None:
        if self.broken:
            raise SourceUnavailable(f"{self.name}: broken")
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1
        self.watch = None

    def idle_seconds(self) -> float:
        if self.broken:
            raise SourceUnavailable(f"{self.name}: gone")
        return max(0.0, self._clock() - self.last_input)

    def watch_return(self, callback: Callable[[float], None]) -> None:
        if self.broken:
            raise SourceUnavailable(f"{self.name}: gone")
        self.watch = callback

    def cancel_watch(self) -> None:
        self.watch = None

    def type_at(self, t: float) -> None:
        """The user gives input at `t`; an armed watch fires once."""
        self.last_input = t
        watch, self.watch = self.watch, None
        if watch is not None:
            watch(t)


class FakeSession:
    """A `SessionSource` whose bus the test can take away."""

    def __init__(self, name: str = "fake-session") -> None:
        self.name = name
        self.alive = True
        self.callback: Callable[[SessionEvent, float], None] | None = None
        self.stopped = False

    def start(self, callback: Callable[[SessionEvent, float], None]) -> None:
        self.callback = callback

    def stop(self) -> None:
        self.stopped = True

    def healthy(self) -> bool:
        return self.alive

    def emit(self, event: SessionEvent, t: float) -> None:
        assert self.callback is not None
        self.callback(event, t)


class FakeNotifier:
    """A `Notifier` that keeps what it was asked to show; `fail` makes it refuse."""

    name = "fake"

    def __init__(self, *, actions: bool = True) -> None:
        self._actions = actions
        self.shown: list[Message] = []
        self.closed = 0
        self.fail = False
        self.callback: ActionCallback | None = None
        self._lock = threading.Lock()

    @property
    def supports_actions(self) -> bool:
        return self._actions

    def show(self, message: Message) -> Delivery:
        with self._lock:
            self.shown.append(message)
        return Delivery(not self.fail, self.name, "refused" if self.fail else "shown")

    def close(self) -> None:
        self.closed += 1

    def on_action(self, callback: ActionCallback) -> None:
        self.callback = callback

    def stop(self) -> None:
        return None

    def titles(self) -> list[str]:
        with self._lock:
            return [m.title for m in self.shown]
