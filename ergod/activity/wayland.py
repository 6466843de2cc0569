"""Wayland activity: the compositor's idle notifications, fitted to the idle-first contract.

On Wayland only the compositor sees input, and it answers no "how long idle?"
question. It tells a client once the user has been idle for a timeout the
client chose (`idled`), and again at the next input (`resumed`). Two
protocols carry that, and `WaylandSource` speaks both through `wlwire`:

* `ext_idle_notifier_v1` (sway 1.8+, Hyprland, labwc, niri, Wayfire, KDE
  Plasma 5.27+): bound at `min(advertised, 2)`. With version 2 and
  `[activity] inhibitors = "ignore"` it asks `get_input_idle_notification`
  (input only: a playing video's idle inhibitor does not make the user look
  present); otherwise `get_idle_notification`, which honours inhibitors.
* `org_kde_kwin_idle` (sway before 1.8, older KDE): `get_idle_timeout(id,
  seat, timeout)`, seat before timeout, the reverse of ext's order.

How the answers map onto `ActivitySource` (T = the engine's
`Rules.watch_threshold`, given through `SourceSettings`):

* One notification, timed at T/2, not T: the daemon asks 1 ms before an
  absence could reach T, so a notification timed at T would always still
  say "not yet" and the daemon would count the absence from too late. At
  T/2 the answer is in by then.
* `idled` at t means the last input was at t - T/2: `idle_seconds()` is
  then exact. The compositor starts the timer when the notification is
  created, so the first `idled` after creation only says "away at least since
  creation": the absence is counted from the creation (a lower bound).
* Not idle means an input within the last T/2 s (or since `resumed`), but
  not when: `idle_seconds()` answers with the earliest moment that input
  can have been, so the daemon never places a last input later than the
  truth. Until the notification is T/2 old the user counts as present since
  the source started, as with the pynput fallback.
* `watch_return(cb)` fires on `resumed`, with the clock at its arrival. A
  watch armed while not idle (at start, after a wake or unlock) cannot wait
  for `resumed`, which only follows `idled`: at arming + T/2 the reader
  thread syncs with the compositor, and if still no `idled` came, input did
  come since arming, so the watch fires with the arming time.
* While the user types nothing arrives at all; pauses shorter than T/2
  produce no event either.

Threads: one reader thread blocks on the socket (and a wake-up pipe) and
runs the watch callback; `idle_seconds()` only reads state under a lock.
When the compositor closes the socket (restart, session end) or reports a
protocol error, `healthy()` turns False, the `on_failure` callback runs (the
daemon falls back at once, even while it waits on a return watch), and
`idle_seconds()` / `watch_return()` raise SourceUnavailable saying which. Privacy: the idle
protocols carry no key, button or position at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ergod.activity import IMPORT_ENVIRONMENT, wlwire
from ergod.activity.base import Clock, SourceSettings, SourceUnavailable

EXT = "ext_idle_notifier_v1"
KDE = "org_kde_kwin_idle"
SEAT = "wl_seat"

SLACK = 0.5
"""Seconds past arming + T/2 before a watch armed while not idle decides."""

STOP_TIMEOUT = 2.0

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdleProtocol:
    """Which idle global to use, at what version, and whether it ignores inhibitors."""

    interface: str
    version: int
    input_only: bool

    def describe(self) -> str:
        text = f"{self.interface} v{self.version}"
        return f"{text}, input only" if self.input_only else text


def choose_protocol(
    globals_: Mapping[str, wlwire.Global], settings: SourceSettings
) -> IdleProtocol:
    """The idle protocol to bind, or SourceUnavailable naming what is missing."""
    if SEAT not in globals_:
        raise SourceUnavailable("the compositor offers no wl_seat (no keyboard or pointer)")
    if EXT in globals_:
        version = min(globals_[EXT].version, 2)
        return IdleProtocol(EXT, version, settings.ignore_inhibitors and version >= 2)
    if KDE in globals_:
        return IdleProtocol(KDE, 1, False)
    raise SourceUnavailable(
        f"the compositor offers no idle protocol (neither {EXT} nor {KDE}); "
        "on GNOME the gnome source reads Mutter's IdleMonitor instead"
    )


def _unreachable(exc: wlwire.WireError) -> SourceUnavailable:
    reason = str(exc)
    if isinstance(exc, wlwire.Unreachable) and not reason.startswith("no Wayland socket"):
        reason += (
            "; if ergod runs as a systemd user service, the user manager may lack this "
            f"session's WAYLAND_DISPLAY: run `{IMPORT_ENVIRONMENT}` in the session"
        )
    return SourceUnavailable(reason)


class WaylandSource:
    """`ActivitySource` over a Wayland compositor's idle notifications (see the module doc)."""

    name = "wayland"

    def __init__(
        self, clock: Clock, path: Path, settings: SourceSettings, protocol: IdleProtocol
    ) -> None:
        self._clock = clock
        self._path = path
        self._settings = settings
        self.protocol = protocol.describe()
        self._wanted = protocol
        self._lock = threading.Lock()
        self._conn: wlwire.Connection | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._seat = self._idle_global = self._notification = 0
        self._failure: str | None = "not started"
        self._pending: SourceSettings | None = None
        # Notification state, on the daemon's clock.
        self._timeout = settings.threshold / 2
        self._created = self._anchor = 0.0
        self._idle_start: float | None = None
        # The armed watch.
        self._callback: Callable[[float], None] | None = None
        self._armed_at = 0.0
        self._check_at: float | None = None
        self._sync_id: int | None = None
        self._on_failure: Callable[[], None] | None = None

    # ---- life cycle ----------------------------------------------------------

    def start(self) -> None:
        try:
            conn = wlwire.Connection.connect(self._path)
        except wlwire.WireError as exc:
            raise _unreachable(exc) from exc
        try:
            registry, globals_ = conn.registry()
            protocol = choose_protocol(globals_, self._settings)
            self._seat = conn.bind(registry, globals_[SEAT], 1)
            self._idle_global = conn.bind(registry, globals_[protocol.interface], protocol.version)
            self._wanted = protocol
            self.protocol = protocol.describe()
            self._conn = conn
            with self._lock:
                self._create_notification(self._clock())
            conn.roundtrip()  # a protocol error in the binds shows up here
        except (wlwire.WireError, SourceUnavailable) as exc:
            self._conn = None
            conn.close()
            if isinstance(exc, SourceUnavailable):
                raise
            raise SourceUnavailable(f"wayland: {exc}") from exc
        self._wake_r, self._wake_w = os.pipe()
        self._failure = None
        self._thread = threading.Thread(target=self._read_loop, name="ergod-wayland", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._callback = None
            self._failure = self._failure or "stopped"
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.shutdown()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT)
        if conn is not None:
            conn.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def healthy(self) -> bool:
        return self._failure is None

    def on_failure(self, callback: Callable[[], None]) -> None:
        """`callback()` from the reader thread when the compositor goes away."""
        self._on_failure = callback

    def configure(self, settings: SourceSettings) -> None:
        """New threshold or inhibitor choice (a reload). Applied at once when
        the user is not away and no watch is armed, else after the return."""
        with self._lock:
            if settings == self._settings:
                self._pending = None
                return
            self._pending = settings
            self._apply_pending()

    # ---- the contract --------------------------------------------------------

    def idle_seconds(self) -> float:
        now = self._clock()
        with self._lock:
            self._raise_if_failed()
            if self._idle_start is not None:
                return max(0.0, now - self._idle_start)
            return max(0.0, now - self._earliest_input(now))

    def watch_return(self, callback: Callable[[float], None]) -> None:
        now = self._clock()
        with self._lock:
            self._raise_if_failed()
            self._callback = callback
            self._armed_at = now
            self._sync_id = None
            self._check_at = None if self._idle_start is not None else now + self._timeout + SLACK
        self._wake()

    def cancel_watch(self) -> None:
        with self._lock:
            self._callback = None
            self._check_at = self._sync_id = None
            self._apply_pending()

    # ---- state (callers hold the lock) ------------------------------------------

    def _earliest_input(self, now: float) -> float:
        """Not idle: the earliest moment the last input can have been."""
        if now - self._timeout < self._created:
            return self._anchor
        return max(self._anchor, now - self._timeout)

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise SourceUnavailable(f"wayland: {self._failure}")

    def _create_notification(self, now: float) -> None:
        conn = self._conn
        assert conn is not None
        protocol = self._wanted
        timeout_ms = max(1, round(self._timeout * 1000))
        if protocol.interface == KDE:
            object_id = conn.new_id("org_kde_kwin_idle_timeout")
            conn.send(self._idle_global, 0, "nou", object_id, self._seat, timeout_ms)
        else:
            object_id = conn.new_id("ext_idle_notification_v1")
            opcode = 2 if protocol.input_only else 1
            conn.send(self._idle_global, opcode, "nuo", object_id, timeout_ms, self._seat)
        self._notification = object_id
        self._created = self._anchor = now
        self._idle_start = None

    def _apply_pending(self) -> None:
        settings = self._pending
        if settings is None or self._conn is None:
            return
        if self._idle_start is not None or self._callback is not None:
            return  # changing now would lose the `resumed` of the absence in progress
        now = self._clock()
        anchor = self._earliest_input(now)
        with contextlib.suppress(wlwire.WireError):  # a failure shows in the reader
            self._conn.send(self._notification, 0)  # destroy / release
            self._settings, self._pending = settings, None
            self._timeout = settings.threshold / 2
            ext = self._wanted.interface == EXT
            self._wanted = IdleProtocol(
                self._wanted.interface,
                self._wanted.version,
                ext and settings.ignore_inhibitors and self._wanted.version >= 2,
            )
            self.protocol = self._wanted.describe()
            self._create_notification(now)
            self._anchor = anchor

    # ---- the reader thread --------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    def _read_loop(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while True:
                with self._lock:
                    if self._conn is None:
                        return
                    check_at = self._check_at
                timeout = None if check_at is None else max(0.0, check_at - self._clock())
                ready, _, _ = select.select([conn.fileno(), self._wake_r], [], [], timeout)
                if self._wake_r in ready:
                    os.read(self._wake_r, 4096)
                events = conn.read(0.0) if conn.fileno() in ready else []
                for event in events:
                    self._on_event(event)
                if not ready:
                    self._deadline_passed(conn)
        except wlwire.WireError as exc:
            self._lost(exc)
        except OSError as exc:  # the pipe or socket closed under us by stop()
            self._lost(wlwire.Closed(str(exc)))

    def _lost(self, exc: wlwire.WireError) -> None:
        with self._lock:
            stopping = self._conn is None
            if not stopping:
                self._failure = (
                    f"the compositor reported a {exc}"
                    if isinstance(exc, wlwire.ProtocolError)
                    else f"{exc} (the compositor exited or restarted)"
                )
        if not stopping:
            _log.warning("wayland activity source lost: %s", self._failure)
            if self._on_failure is not None:
                self._on_failure()

    def _deadline_passed(self, conn: wlwire.Connection) -> None:
        with self._lock:
            if self._check_at is None or self._clock() < self._check_at:
                return
            self._check_at = None
            # Events queued before the sync's answer are read before it.
            self._sync_id = conn.sync()

    def _on_event(self, event: wlwire.Event) -> None:
        t = self._clock()
        fire: Callable[[float], None] | None = None
        with self._lock:
            if event.object_id == self._sync_id:
                self._sync_id = None
                if self._callback is not None and self._idle_start is None:
                    fire, self._callback = self._callback, None
                    t = self._armed_at  # input came after arming; when is not known
            elif event.object_id == self._notification and event.opcode == 0:
                self._idle_start = max(t - self._timeout, self._anchor, self._created)
                self._check_at = self._sync_id = None
            elif event.object_id == self._notification and event.opcode == 1:
                self._idle_start = None
                self._anchor = t
                fire, self._callback = self._callback, None
                self._check_at = self._sync_id = None
        if fire is not None:
            fire(t)
            with self._lock:
                self._apply_pending()


def probe(
    clock: Clock, environ: Mapping[str, str], settings: SourceSettings | None = None
) -> WaylandSource:
    """An unstarted WaylandSource if this session's compositor offers an idle protocol."""
    settings = settings or SourceSettings()
    try:
        path = wlwire.socket_path(environ)
        conn = wlwire.Connection.connect(path)
    except wlwire.WireError as exc:
        raise _unreachable(exc) from exc
    try:
        _, globals_ = conn.registry()
    except wlwire.WireError as exc:
        raise SourceUnavailable(f"the compositor at {path} did not answer: {exc}") from exc
    finally:
        conn.close()
    return WaylandSource(clock, path, settings, choose_protocol(globals_, settings))
