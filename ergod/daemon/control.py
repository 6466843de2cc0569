"""The control socket's server: many clients at once, none able to hold up the rest.

`ControlServer(path, handler, log)` binds `<runtime_dir>/ergod/control.sock`
(mode 0600 in a 0700 directory) and serves the protocol of
`ergod.daemon.protocol` (re-exported here). One thread accepts; each
connection is served on a short-lived thread of its own, so a client that
sends nothing, sends slowly or never reads its reply costs only its own
thread, for at most `READ_TIMEOUT_SECONDS` per phase (request, reply, the
drain after it), while other clients are answered. At most `MAX_CLIENTS`
connections are served at once; more wait in the listen queue (`BACKLOG`).

The handler returns the `result` object or raises `ControlError` with a
message for the user. A `follow` request is the exception: its connection is
handed (as a duplicate the server no longer touches) to the `follow` handler,
the daemon's glance feed, and kept open. Whatever arrives (garbage, 1 MiB, half a line, a peer
of another uid) gets an error reply or a closed connection, never an
exception out of a thread: the daemon outlives its clients.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ergod.daemon.protocol import (
    MAX_REQUEST_BYTES,
    MAX_SECONDS,
    READ_TIMEOUT_SECONDS,
    SOCKET_NAME,
    Command,
    ControlError,
    Request,
    control_socket_path,
    encode,
    error_reply,
    follow_replies,
    parse_request,
    send_request,
)
from ergod.environment import ensure_private_dir
from ergod.errors import ErgodError

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_SECONDS",
    "READ_TIMEOUT_SECONDS",
    "SOCKET_NAME",
    "Command",
    "ControlError",
    "ControlServer",
    "Handler",
    "Request",
    "control_socket_path",
    "follow_replies",
    "parse_request",
    "send_request",
]

MAX_CLIENTS = 128
"""Connections served at once; more wait in the listen queue."""
BACKLOG = 256
"""The listen queue (the kernel caps it at net.core.somaxconn)."""
_STOP_JOIN_SECONDS = 1.0
_ERROR_PAUSE_SECONDS = 0.5
_SLOT_WAIT_SECONDS = 0.5
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_DAEMON_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)

Handler = Callable[[Request], Mapping[str, object]]
FollowHandler = Callable[[socket.socket], None]
"""Takes over a `follow` connection (a duplicate the server no longer touches)."""


class _RequestTooLarge(Exception):
    pass


class ControlServer:
    """Serves control requests on a Unix socket.

    Threading contract: `start()` and `stop()` are called from the daemon's
    main thread; `handler` runs on the connections' threads, possibly several
    at once, and must do its own locking against the rest of the daemon (the
    daemon's posts the request to its engine thread and waits). `stop()`
    returns within about a second even with clients in mid-request.
    """

    def __init__(
        self,
        path: Path,
        handler: Handler,
        log: logging.Logger,
        follow: FollowHandler | None = None,
    ) -> None:
        self.path = path
        self._handler = handler
        self._follow = follow
        self._log = log
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self._identity: tuple[int, int] | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._clients: set[threading.Thread] = set()
        self._clients_lock = threading.Lock()

    def start(self) -> None:
        """Bind the socket (0600) and start serving; ErgodError if it cannot."""
        if self._thread is not None or self._stopping.is_set():
            raise RuntimeError("ControlServer already started")
        try:
            ensure_private_dir(self.path.parent)
        except OSError as exc:
            raise ErgodError(f"cannot use {self.path.parent}: {exc}") from None
        self._remove_stale_socket()
        try:
            self._listener.bind(os.fspath(self.path))
            # The directory is already 0700; the mode is the second fence.
            os.chmod(self.path, 0o600)
            self._listener.listen(BACKLOG)
            self._listener.setblocking(False)
            info = self.path.stat()
        except OSError as exc:
            self._close_sockets()
            raise ErgodError(f"cannot serve the control socket {self.path}: {exc}") from None
        self._identity = (info.st_dev, info.st_ino)
        self._thread = threading.Thread(target=self._serve, name="ergod-control", daemon=True)
        self._thread.start()
        self._log.info("control socket at %s", self.path)

    def stop(self) -> None:
        """Stop serving, close the socket and remove its file; idempotent."""
        thread, self._thread = self._thread, None
        self._stopping.set()
        if thread is None:
            self._close_sockets()
            return
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")  # never read: wakes every waiting selector
        deadline = time.monotonic() + _STOP_JOIN_SECONDS
        thread.join(_STOP_JOIN_SECONDS)
        with self._clients_lock:
            clients = list(self._clients)
        for client in clients:
            client.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive() or any(client.is_alive() for client in clients):
            self._log.warning("control threads still busy after %.1f s", _STOP_JOIN_SECONDS)
        self._close_sockets()
        self._unlink_if_ours()

    def _close_sockets(self) -> None:
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    def _remove_stale_socket(self) -> None:
        """Remove a socket file left by a dead daemon; refuse one that answers."""
        try:
            info = self.path.lstat()
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise ErgodError(f"{self.path} exists and is not a socket; remove it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        probe.settimeout(1.0)
        try:
            probe.connect(os.fspath(self.path))
        except OSError:
            self._log.info("removing a stale control socket at %s", self.path)
            self.path.unlink(missing_ok=True)
            return
        finally:
            probe.close()
        raise ErgodError(f"another process is serving {self.path}")

    def _unlink_if_ours(self) -> None:
        # A daemon started after us may have replaced the file; leave theirs.
        try:
            info = self.path.lstat()
            if (info.st_dev, info.st_ino) == self._identity:
                self.path.unlink()
        except OSError:
            pass

    def _serve(self) -> None:
        # Leave the daemon's signals to its main thread: one delivered to this
        # thread would not wake a main thread blocked on a lock or queue.
        signal.pthread_sigmask(signal.SIG_BLOCK, _DAEMON_SIGNALS)
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                try:
                    ready = selector.select()
                    if any(key.fileobj is self._listener for key, _ in ready):
                        self._accept_all()
                except Exception:
                    # Nothing may end the thread but stop(): log and keep serving,
                    # pausing so a lasting failure (EMFILE) cannot flood the log.
                    self._log.exception("control socket: unexpected error")
                    self._stopping.wait(_ERROR_PAUSE_SECONDS)

    def _accept_all(self) -> None:
        """Hand each waiting connection to a thread of its own, while slots last."""
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=_SLOT_WAIT_SECONDS):
                continue  # every slot busy: the rest wait in the listen queue
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                self._slots.release()
                return
            except BaseException:
                self._slots.release()
                raise
            client = threading.Thread(target=self._client, args=(conn,), daemon=True)
            with self._clients_lock:
                self._clients.add(client)
            client.start()

    def _client(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.setblocking(False)
                connection = _Connection(conn, self._wake_r, self._stopping, self._log)
                try:
                    connection.serve(self._answer, self._hand_over)
                except OSError as exc:
                    self._log.debug("control client went away: %s", exc)
        finally:
            with self._clients_lock:
                self._clients.discard(threading.current_thread())
            self._slots.release()

    def _hand_over(self, raw: bytes, conn: socket.socket) -> bool:
        """A `follow` request: its connection goes to the follow handler, kept open."""
        if self._follow is None:
            return False
        try:
            request = parse_request(raw)
        except ControlError:
            return False
        if request.command is not Command.FOLLOW:
            return False
        self._follow(conn.dup())
        return True

    def _answer(self, raw: bytes) -> bytes:
        try:
            request = parse_request(raw)
            result = dict(self._handler(request))
            return encode({"ok": True, "result": result})
        except ControlError as exc:
            return error_reply(exc.message)
        except Exception:
            self._log.exception("control request failed")
            return error_reply("internal error in ergod; see its log")


class _Connection:
    """One client: its uid, its request line, the reply, and the drain after it."""

    def __init__(
        self,
        conn: socket.socket,
        wake: socket.socket,
        stopping: threading.Event,
        log: logging.Logger,
    ) -> None:
        self._conn = conn
        self._wake = wake
        self._stopping = stopping
        self._log = log

    def serve(
        self,
        answer: Callable[[bytes], bytes],
        hand_over: Callable[[bytes, socket.socket], bool],
    ) -> None:
        uid = _peer_uid(self._conn)
        if uid != os.getuid():
            self._log.warning("control socket: refused a client of uid %s", uid)
            self._reply(error_reply("permission denied"))
            return
        try:
            raw = self._read_line()
        except _RequestTooLarge:
            reply = error_reply(f"request too large (limit {MAX_REQUEST_BYTES} bytes)")
        except TimeoutError:
            self._reply(error_reply(f"no complete request within {READ_TIMEOUT_SECONDS:g} s"))
            return
        else:
            if raw is None:  # stop() while reading
                return
            if hand_over(raw, self._conn):
                return
            reply = answer(raw)
        self._reply(reply)
        self._drain()

    def _wait(self, events: int, deadline: float) -> bool:
        """Wait until the client is ready; False on stop(); TimeoutError past deadline."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._conn, events)
            selector.register(self._wake, selectors.EVENT_READ)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready = selector.select(remaining)
        if self._stopping.is_set():
            return False
        if not ready:
            raise TimeoutError
        return True

    def _read_line(self) -> bytes | None:
        """The request's bytes up to the newline or EOF; None if stopping."""
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        data = bytearray()
        while True:
            if not self._wait(selectors.EVENT_READ, deadline):
                return None
            try:
                chunk = self._conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            newline = chunk.find(b"\n")
            if newline >= 0:
                chunk = chunk[:newline]
            if len(data) + len(chunk) > MAX_REQUEST_BYTES:
                raise _RequestTooLarge
            data += chunk
            if newline >= 0 or not chunk:
                return bytes(data)

    def _drain(self) -> None:
        """Read and drop what the client sent past its request, for a bounded time.

        Closing a Unix socket with unread input resets the connection, and a
        client still sending (an oversized or garbled request) would see that
        instead of the reply it was sent. A client that reads its reply and
        closes ends this at once.
        """
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        with contextlib.suppress(OSError):
            self._conn.shutdown(socket.SHUT_WR)
        with contextlib.suppress(TimeoutError, OSError):
            while self._wait(selectors.EVENT_READ, deadline):
                try:
                    if not self._conn.recv(65536):
                        return
                except (BlockingIOError, InterruptedError):
                    continue

    def _reply(self, payload: bytes) -> None:
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        view = memoryview(payload)
        try:
            while view:
                if not self._wait(selectors.EVENT_WRITE, deadline):
                    return
                try:
                    view = view[self._conn.send(view) :]
                except (BlockingIOError, InterruptedError):
                    continue
        except TimeoutError:
            self._log.debug("control client did not read its reply")


def _peer_uid(conn: socket.socket) -> int | None:
    try:
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    except (OSError, AttributeError):
        return None
    _pid, uid, _gid = _PEERCRED.unpack(raw)
    return int(uid)
