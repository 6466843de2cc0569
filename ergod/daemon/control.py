"""The control socket: how `ergod status`, `pause`, ... talk to the running daemon.

Protocol: a Unix stream socket at `<runtime_dir>/ergod/control.sock` (mode
0600 in a 0700 directory), one request per connection. The client sends one
JSON object on one line; the server answers one JSON object on one line and
closes:

    {"command": "pause", "seconds": 1800}
    {"ok": true, "result": {"message": "paused until 14:30"}}
    {"ok": false, "error": "unknown command 'dance'"}

Commands and their arguments (any other key is an error):
* `status`, `resume`, `skip`, `reload`: none.
* `pause`: `seconds` (number > 0), or null / absent for "until resume".
  The CLI turns `--until HH:MM` into seconds, so the daemon only sees seconds.
* `snooze`: `seconds` (number > 0), or null / absent for the kind's own
  `snooze` setting.

`ControlServer` serves in one thread of its own and calls the daemon's handler
there; the handler returns the `result` object or raises `ControlError` with a
message for the user. Whatever arrives (garbage, 1 MiB, half a line, a peer of
another uid) gets an error reply or a closed connection, never an exception out
of the thread: the daemon outlives its clients. `send_request` is the client.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import math
import os
import selectors
import signal
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.environment import Environment, ensure_private_dir
from ergod.errors import ErgodError, NoDaemonError

SOCKET_NAME = "control.sock"
MAX_REQUEST_BYTES = 64 * 1024
READ_TIMEOUT_SECONDS = 2.0
# Longer pauses or snoozes are surely typing mistakes, and would overflow date
# arithmetic in the daemon long before they meant anything.
MAX_SECONDS = 366 * 86400.0
# A status reply is small; the cap only stops a wrong peer from filling memory.
_MAX_REPLY_BYTES = 4 * 1024 * 1024
_STOP_JOIN_SECONDS = 1.0
_ERROR_PAUSE_SECONDS = 0.5
_LISTEN_BACKLOG = 16
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_DAEMON_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


class Command(str, enum.Enum):
    STATUS = "status"
    PAUSE = "pause"
    RESUME = "resume"
    SNOOZE = "snooze"
    SKIP = "skip"
    RELOAD = "reload"


_TAKES_SECONDS = frozenset({Command.PAUSE, Command.SNOOZE})


class ControlError(ErgodError):
    """A request the daemon refuses; the message goes back to the client."""


@dataclass(frozen=True)
class Request:
    """One validated control request.

    `seconds` is only meaningful for pause (None: until resume) and snooze
    (None: the configured snooze); it is always None for other commands.
    """

    command: Command
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.seconds is not None and self.command not in _TAKES_SECONDS:
            raise ControlError(f"{self.command.value} takes no seconds")

    @classmethod
    def from_json(cls, data: object) -> Request:
        """The request in a decoded JSON value; ControlError says what is wrong."""
        if not isinstance(data, dict):
            raise ControlError("a request must be a JSON object")
        name = data.get("command")
        if not isinstance(name, str):
            raise ControlError('a request needs "command" as a string')
        try:
            command = Command(name)
        except ValueError:
            known = ", ".join(c.value for c in Command)
            raise ControlError(f"unknown command {name!r} (known: {known})") from None
        allowed = {"command", "seconds"} if command in _TAKES_SECONDS else {"command"}
        extra = sorted(str(field) for field in data if field not in allowed)
        if extra:
            raise ControlError(f"{command.value} does not take {', '.join(extra)}")
        return cls(command, _seconds(data.get("seconds")))

    def to_json(self) -> dict[str, object]:
        """The wire form, as `from_json` reads it."""
        if self.command in _TAKES_SECONDS:
            return {"command": self.command.value, "seconds": self.seconds}
        return {"command": self.command.value}


def _seconds(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ControlError('"seconds" must be a number or null')
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_SECONDS:
        raise ControlError(f'"seconds" must be more than 0 and at most {MAX_SECONDS:.0f}')
    return seconds


def parse_request(raw: bytes) -> Request:
    """A Request from one line of bytes off the socket, or ControlError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ControlError("a request must be UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ControlError("a request must be one JSON object on one line") from None
    return Request.from_json(data)


def control_socket_path(env: Environment) -> Path:
    return env.daemon_dir / SOCKET_NAME


def _encode(reply: Mapping[str, object]) -> bytes:
    return json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n"


def _error_reply(message: str) -> bytes:
    return _encode({"ok": False, "error": message})


Handler = Callable[[Request], Mapping[str, object]]


class _RequestTooLarge(Exception):
    pass


class ControlServer:
    """Serves control requests on a Unix socket from one daemon thread.

    Threading contract: `start()` and `stop()` are called from the daemon's
    main thread; `handler` runs on the server's thread, one request at a time,
    and must do its own locking against the rest of the daemon. `stop()`
    returns within about a second even with a client in mid-request.
    """

    def __init__(self, path: Path, handler: Handler, log: logging.Logger) -> None:
        self.path = path
        self._handler = handler
        self._log = log
        self._listener: socket.socket | None = None
        self._identity: tuple[int, int] | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Bind the socket (0600) and start serving; ErgodError if it cannot."""
        if self._thread is not None:
            raise RuntimeError("ControlServer already started")
        try:
            ensure_private_dir(self.path.parent)
        except OSError as exc:
            raise ErgodError(f"cannot use {self.path.parent}: {exc}") from None
        self._remove_stale_socket()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            listener.bind(os.fspath(self.path))
            # The directory is already 0700; the mode is the second fence.
            os.chmod(self.path, 0o600)
            listener.listen(_LISTEN_BACKLOG)
            listener.setblocking(False)
            info = self.path.stat()
        except OSError as exc:
            listener.close()
            raise ErgodError(f"cannot serve the control socket {self.path}: {exc}") from None
        self._listener = listener
        self._identity = (info.st_dev, info.st_ino)
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="ergod-control", daemon=True)
        self._thread.start()
        self._log.info("control socket at %s", self.path)

    def stop(self) -> None:
        """Stop serving, close the socket and remove its file; idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        thread.join(_STOP_JOIN_SECONDS)
        if thread.is_alive():
            self._log.warning("control thread still busy after %.1f s", _STOP_JOIN_SECONDS)
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._listener = self._wake_r = self._wake_w = None
        self._unlink_if_ours()

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
        listener, wake = self._listener, self._wake_r
        assert listener is not None and wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not self._stopping.is_set():
                try:
                    ready = selector.select()
                    if any(key.fileobj is listener for key, _ in ready):
                        self._accept(listener)
                except Exception:
                    # Nothing may end the thread but stop(): log and keep serving,
                    # pausing so a lasting failure (EMFILE) cannot flood the log.
                    self._log.exception("control socket: unexpected error")
                    self._stopping.wait(_ERROR_PAUSE_SECONDS)

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        with conn:
            conn.setblocking(False)
            try:
                self._serve_connection(conn)
            except OSError as exc:
                self._log.debug("control client went away: %s", exc)

    def _serve_connection(self, conn: socket.socket) -> None:
        uid = _peer_uid(conn)
        if uid != os.getuid():
            self._log.warning("control socket: refused a client of uid %s", uid)
            self._reply(conn, _error_reply("permission denied"))
            return
        try:
            raw = self._read_line(conn)
        except _RequestTooLarge:
            reply = _error_reply(f"request too large (limit {MAX_REQUEST_BYTES} bytes)")
        except TimeoutError:
            self._reply(
                conn, _error_reply(f"no complete request within {READ_TIMEOUT_SECONDS:g} s")
            )
            return
        else:
            if raw is None:  # stop() while reading
                return
            reply = self._answer(raw)
        self._reply(conn, reply)
        self._drain(conn)

    def _answer(self, raw: bytes) -> bytes:
        try:
            request = parse_request(raw)
            result = dict(self._handler(request))
            return _encode({"ok": True, "result": result})
        except ControlError as exc:
            return _error_reply(exc.message)
        except Exception:
            self._log.exception("control request failed")
            return _error_reply("internal error in ergod; see its log")

    def _wait(self, conn: socket.socket, events: int, deadline: float) -> bool:
        """Wait until `conn` is ready; False on stop(); TimeoutError past deadline."""
        assert self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(conn, events)
            selector.register(self._wake_r, selectors.EVENT_READ)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready = selector.select(remaining)
        if self._stopping.is_set():
            return False
        if not ready:
            raise TimeoutError
        return True

    def _read_line(self, conn: socket.socket) -> bytes | None:
        """The request's bytes up to the newline or EOF; None if stopping."""
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        data = bytearray()
        while True:
            if not self._wait(conn, selectors.EVENT_READ, deadline):
                return None
            try:
                chunk = conn.recv(65536)
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

    def _drain(self, conn: socket.socket) -> None:
        """Read and drop what the client sent past its request, for a bounded time.

        Closing a Unix socket with unread input resets the connection, and a
        client still sending (an oversized or garbled request) would see that
        instead of the reply it was sent. A client that reads its reply and
        closes ends this at once.
        """
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        with contextlib.suppress(TimeoutError, OSError):
            while self._wait(conn, selectors.EVENT_READ, deadline):
                try:
                    if not conn.recv(65536):
                        return
                except (BlockingIOError, InterruptedError):
                    continue

    def _reply(self, conn: socket.socket, payload: bytes) -> None:
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        view = memoryview(payload)
        try:
            while view:
                if not self._wait(conn, selectors.EVENT_WRITE, deadline):
                    return
                try:
                    view = view[conn.send(view) :]
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


def send_request(
    env: Environment, request: Mapping[str, object], timeout: float = 5.0
) -> dict[str, Any]:
    """Send one request to the running daemon and return its `result` object.

    Raises NoDaemonError (exit 3) when no daemon listens, ErgodError (exit 1)
    with the daemon's message when it refuses, or when it cannot be reached.
    """
    path = control_socket_path(env)
    payload = _encode(request)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NoDaemonError(f"ergod is not running (no control socket at {path})") from None
        except OSError as exc:
            raise ErgodError(f"cannot reach ergod at {path}: {exc.strerror or exc}") from None
        try:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                # A refusal ("permission denied") can come before the request
                # is read; the reply is still there to read.
                sock.sendall(payload)
            raw = _read_reply(sock)
        except TimeoutError:
            raise ErgodError(f"ergod did not answer within {timeout:g} s") from None
        except OSError as exc:
            raise ErgodError(f"lost the connection to ergod: {exc.strerror or exc}") from None
    return _result(raw)


def _read_reply(sock: socket.socket) -> bytes:
    data = bytearray()
    while b"\n" not in data and len(data) <= _MAX_REPLY_BYTES:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data).split(b"\n", 1)[0]


def _result(raw: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        reply = None
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise ErgodError("ergod sent a reply that is not understood")
    if not reply["ok"]:
        raise ErgodError(str(reply.get("error") or "ergod refused the request"))
    result = reply.get("result", {})
    if not isinstance(result, dict):
        raise ErgodError("ergod sent a reply that is not understood")
    return result
