"""The glance feed: pushes what a panel shows to whoever watches, only when it changes.

Watchers are followers (`ergod status --follow` connections the control
socket handed over, kept open) and in-process sinks (the tray icon). After
every job the daemon calls `publish(reading)`; the feed compares the glance
with the last one and, when it differs, writes one line to every follower
and shows it to every sink. A follower that has not had a line yet (it just
connected) gets the current one whatever changed.

The daemon asks `wake_at()` where it places its one-shot: the next
sitting-minute crossing while anyone watches, None otherwise. So a feed
nobody watches costs nothing, and a watched one wakes the daemon once a
minute while the user sits and never while they are away.

Follower lines are the control protocol's replies, one JSON object per line:
`{"ok": true, "result": {glance}}` (`ergod.daemon.barview.Glance.to_json`).
A follower that stops reading (its socket buffer fills) or hangs up is
dropped. One thread, started with the first follower, waits in `select` for
hang-ups: it wakes only when a follower connects, says something or leaves.

Threading contract: `follow(conn)` from any thread (the control thread);
`publish`, `wake_at`, `add_sink`, `remove_sink` from the engine thread;
`stop()` once, from the main thread. `refresh` (given at construction) must
only post a job to the engine thread: the feed calls it when a follower
arrives or leaves, so the next `publish` and `wake_at` see the change.
"""

from __future__ import annotations

import contextlib
import json
import logging
import selectors
import signal
import socket
import threading
from collections.abc import Callable
from typing import Protocol

from ergod.daemon.barview import Glance, Reading

_JOIN_SECONDS = 1.0
_MAX_FOLLOWERS = 64
_BLOCKED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


class Sink(Protocol):
    """An in-process watcher (the tray). `show` runs on the engine thread and
    must not block on anything the engine thread serves."""

    @property
    def watching(self) -> bool:
        """True while someone sees this sink (a tray host): minutes matter."""
        ...

    def show(self, glance: Glance) -> None: ...


def encode(glance: Glance) -> bytes:
    """One follower line: the control protocol's reply around the glance."""
    reply = {"ok": True, "result": glance.to_json()}
    return json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n"


class Feed:
    """Followers and sinks of the glance. See the module doc."""

    def __init__(self, refresh: Callable[[], None], log: logging.Logger) -> None:
        self._refresh = refresh
        self._log = log
        self._lock = threading.Lock()
        self._followers: dict[socket.socket, bool] = {}  # socket -> has had a line
        self._arrived: list[socket.socket] = []  # for the thread to register
        self._sinks: list[Sink] = []
        self._last: Reading | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False

    # ---- any thread ---------------------------------------------------------

    def follow(self, conn: socket.socket) -> None:
        """Take over a connection that asked to follow; the feed closes it."""
        conn.setblocking(False)
        with self._lock:
            if self._stopping or len(self._followers) >= _MAX_FOLLOWERS:
                refused = True
            else:
                refused = False
                self._followers[conn] = False
                self._arrived.append(conn)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._watch, name="ergod-feed", daemon=True
                    )
                    self._thread.start()
        if refused:
            with contextlib.suppress(OSError):
                conn.send(b'{"ok": false, "error": "too many followers"}\n')
            conn.close()
            return
        self._poke()
        self._refresh()

    @property
    def followers(self) -> int:
        with self._lock:
            return len(self._followers)

    # ---- engine thread ------------------------------------------------------

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)
        if self._last is not None:
            sink.show(self._last.glance)

    def remove_sink(self, sink: Sink) -> None:
        with contextlib.suppress(ValueError):
            self._sinks.remove(sink)

    def publish(self, reading: Reading) -> None:
        """Tell every watcher about `reading` if its glance changed (new followers always)."""
        changed = self._last is None or self._last.glance != reading.glance
        self._last = reading
        with self._lock:
            targets = [s for s, had in self._followers.items() if changed or not had]
        line = encode(reading.glance) if targets else b""
        for conn in targets:
            self._send(conn, line)
        if changed:
            for sink in list(self._sinks):
                try:
                    sink.show(reading.glance)
                except Exception:
                    self._log.exception("a glance watcher failed")

    def wake_at(self) -> float | None:
        """The next sitting-minute crossing while anyone watches, else None."""
        if self._last is None:
            return None
        if self.followers or any(sink.watching for sink in self._sinks):
            return self._last.next_at
        return None

    def _send(self, conn: socket.socket, line: bytes) -> None:
        try:
            sent = conn.send(line)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._hang_up(conn)
            return
        if sent < len(line):
            # Not reading: a line cut in two would garble the next one.
            self._log.info("dropped a status follower that stopped reading")
            self._hang_up(conn)
            return
        with self._lock:
            if conn in self._followers:
                self._followers[conn] = True

    def _hang_up(self, conn: socket.socket) -> None:
        """Stop writing to `conn`; the watch thread sees the end and closes it."""
        with self._lock:
            self._followers.pop(conn, None)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)

    # ---- the watch thread ----------------------------------------------------

    def _poke(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _watch(self) -> None:
        """Owns the follower sockets: registers, and closes each one that ends."""
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED_SIGNALS)
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                with self._lock:
                    if self._stopping:
                        break
                    arrived, self._arrived = self._arrived, []
                for conn in arrived:
                    selector.register(conn, selectors.EVENT_READ)
                for key, _ in selector.select():
                    ready = key.fileobj
                    assert isinstance(ready, socket.socket)
                    if ready is self._wake_r:
                        with contextlib.suppress(OSError):
                            ready.recv(4096)
                    elif not self._heard(ready):
                        selector.unregister(ready)
                        with self._lock:
                            known = self._followers.pop(ready, None) is not None
                        ready.close()
                        if known:
                            self._refresh()
            for key in list(selector.get_map().values()):
                if key.fileobj is not self._wake_r:
                    assert isinstance(key.fileobj, socket.socket)
                    key.fileobj.close()

    def _heard(self, conn: socket.socket) -> bool:
        """A follower said something: False once it hung up (what it sends is dropped)."""
        try:
            return bool(conn.recv(4096))
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    # ---- main thread ----------------------------------------------------------

    def stop(self) -> None:
        """Close every follower (their `--follow` sees the daemon go) and the thread."""
        with self._lock:
            self._stopping = True
            followers = list(self._followers)
            self._followers.clear()
            arrived, self._arrived = self._arrived, []
            thread, self._thread = self._thread, None
        for conn in followers:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._poke()
        if thread is not None:
            thread.join(_JOIN_SECONDS)
        for conn in arrived:
            conn.close()
        self._wake_r.close()
        self._wake_w.close()
