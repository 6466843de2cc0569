"""A small client of the Wayland wire protocol: stdlib sockets and struct, no libwayland.

ergod needs very little of Wayland: the registry, one seat, and a few objects
of the idle and toplevel protocols, none of which sends file descriptors. So
this module speaks the wire format itself (the way jeepney speaks D-Bus): no
native build, works with any glibc, and importing it loads nothing else.

Contract:

* `socket_path(environ)` finds the compositor's socket the way libwayland
  does (`WAYLAND_DISPLAY`, relative to `XDG_RUNTIME_DIR`), and, when
  `WAYLAND_DISPLAY` is unset, accepts a single `wayland-*` socket in
  `XDG_RUNTIME_DIR`. It raises `Unreachable` with a plain reason.
* `Connection` owns one socket. `send()` may be called from any thread (one
  lock); `read()` and `roundtrip()` from one thread at a time. Object ids are
  never reused within a connection. Events arrive as `Event` values whose
  arguments `decode()` unpacks by a signature; an event of an interface or
  opcode nobody asked about is still framed correctly and can be ignored.
* A `wl_display.error` event raises `ProtocolError`; the compositor closing
  the socket raises `Closed`. Both mean the connection is finished.

Signatures are strings of argument types, as in the protocol XML: `i` int,
`u` uint, `f` fixed, `s` string, `o` object, `n` new_id, `a` array.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import stat
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DISPLAY_ID = 1
"""wl_display is always object 1."""

_HEADER = struct.Struct("=II")  # object id, then size << 16 | opcode (host byte order)
_U32 = struct.Struct("=I")
_I32 = struct.Struct("=i")
MAX_MESSAGE = 4096


class WireError(Exception):
    """The connection cannot be used (any subclass); the message says why."""


class Unreachable(WireError):
    """No compositor socket could be found or connected to."""


class Closed(WireError):
    """The compositor closed the connection (it exited, restarted, or dropped us)."""


class ProtocolError(WireError):
    """The compositor sent wl_display.error: it will close the connection."""

    def __init__(self, interface: str, code: int, message: str) -> None:
        super().__init__(f"protocol error on {interface} (code {code}): {message}")
        self.interface = interface
        self.code = code


@dataclass(frozen=True)
class Event:
    """One message from the compositor: the target object, its opcode, raw arguments."""

    object_id: int
    opcode: int
    body: bytes

    def decode(self, signature: str) -> tuple[object, ...]:
        return decode(signature, self.body)


@dataclass(frozen=True)
class Global:
    """One entry of the compositor's registry."""

    name: int
    interface: str
    version: int


def encode(signature: str, args: tuple[object, ...]) -> bytes:
    """The wire form of `args` for `signature`."""
    out = bytearray()
    for kind, arg in zip(signature, args, strict=True):
        if kind in "uon":
            out += _U32.pack(int(arg))  # type: ignore[call-overload]
        elif kind == "i":
            out += _I32.pack(int(arg))  # type: ignore[call-overload]
        elif kind == "f":
            out += _I32.pack(round(float(arg) * 256))  # type: ignore[arg-type]
        elif kind == "s":
            data = str(arg).encode() + b"\0"
            out += _U32.pack(len(data)) + _padded(data)
        elif kind == "a":
            data = bytes(arg)  # type: ignore[call-overload]
            out += _U32.pack(len(data)) + _padded(data)
        else:
            raise ValueError(f"unknown argument type {kind!r}")
    return bytes(out)


def decode(signature: str, body: bytes) -> tuple[object, ...]:
    """Arguments of a message body; raises WireError when the body is too short."""
    values: list[object] = []
    offset = 0
    try:
        for kind in signature:
            if kind in "uon":
                values.append(_U32.unpack_from(body, offset)[0])
                offset += 4
            elif kind == "i":
                values.append(_I32.unpack_from(body, offset)[0])
                offset += 4
            elif kind == "f":
                values.append(_I32.unpack_from(body, offset)[0] / 256)
                offset += 4
            elif kind in "sa":
                (length,) = _U32.unpack_from(body, offset)
                offset += 4
                data = body[offset : offset + length]
                if len(data) != length:
                    raise WireError("a message ended inside an argument")
                offset += (length + 3) & ~3
                values.append(data[:-1].decode(errors="replace") if kind == "s" else data)
            else:
                raise ValueError(f"unknown argument type {kind!r}")
    except struct.error as exc:
        raise WireError("a message ended inside an argument") from exc
    return tuple(values)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def socket_path(environ: Mapping[str, str]) -> Path:
    """The compositor's socket for this session, or Unreachable saying why."""
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    display = environ.get("WAYLAND_DISPLAY", "")
    if display:
        if os.path.isabs(display):
            return Path(display)
        if not runtime:
            raise Unreachable(f"WAYLAND_DISPLAY is {display} but XDG_RUNTIME_DIR is not set")
        return Path(runtime) / display
    if not runtime:
        raise Unreachable("no Wayland socket (WAYLAND_DISPLAY and XDG_RUNTIME_DIR are not set)")
    found = sorted(p for p in Path(runtime).glob("wayland-*") if _is_socket(p))
    if len(found) == 1:
        return found[0]
    if not found:
        raise Unreachable(f"no Wayland socket (WAYLAND_DISPLAY is not set; {runtime} has none)")
    names = ", ".join(p.name for p in found)
    raise Unreachable(f"WAYLAND_DISPLAY is not set and {runtime} holds several sockets ({names})")


def _broken(exc: OSError) -> Closed:
    return Closed(f"the compositor connection broke ({exc.strerror or exc})")


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


class Connection:
    """One client connection to a compositor (see the module doc for the threading rules)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()
        self._buffer = b""
        self._next_id = DISPLAY_ID + 1
        self.interfaces: dict[int, str] = {DISPLAY_ID: "wl_display"}
        """Interface name of each live object id, including ids the compositor made."""

    @classmethod
    def connect(cls, path: Path, timeout: float = 2.0) -> Connection:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError as exc:
            sock.close()
            reason = exc.strerror or type(exc).__name__
            raise Unreachable(f"cannot connect to the Wayland socket {path} ({reason})") from exc
        sock.settimeout(None)
        return cls(sock)

    def fileno(self) -> int:
        return self._sock.fileno()

    def shutdown(self) -> None:
        """Wake a reader blocked on this connection (it then sees Closed); close() later."""
        with contextlib.suppress(OSError):  # already closed by the peer
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.shutdown()
        self._sock.close()

    def new_id(self, interface: str) -> int:
        with self._send_lock:
            object_id = self._next_id
            self._next_id += 1
        self.interfaces[object_id] = interface
        return object_id

    def send(self, object_id: int, opcode: int, signature: str = "", *args: object) -> None:
        body = encode(signature, args)
        message = _HEADER.pack(object_id, (_HEADER.size + len(body)) << 16 | opcode) + body
        with self._send_lock:
            try:
                self._sock.sendall(message)
            except OSError as exc:
                raise _broken(exc) from exc

    def read(self, timeout: float | None = None) -> list[Event]:
        """The events that arrive within `timeout` seconds (None: wait for at least one).

        Handles wl_display's own events: `delete_id` forgets the id, `error`
        raises ProtocolError.
        """
        events = self._framed()
        if not events:
            ready, _, _ = select.select([self._sock], [], [], timeout)
            if ready:
                try:
                    data = self._sock.recv(65536)
                except OSError as exc:
                    raise Closed(
                        f"the compositor connection broke ({exc.strerror or exc})"
                    ) from exc
                if not data:
                    raise Closed("the compositor closed the connection")
                self._buffer += data
                events = self._framed()
        return [event for event in events if not self._display_event(event)]

    def _framed(self) -> list[Event]:
        events = []
        while len(self._buffer) >= _HEADER.size:
            object_id, word = _HEADER.unpack_from(self._buffer)
            size, opcode = word >> 16, word & 0xFFFF
            if size < _HEADER.size or size > MAX_MESSAGE:
                raise WireError(f"a message from the compositor has an impossible size ({size})")
            if len(self._buffer) < size:
                break
            events.append(Event(object_id, opcode, self._buffer[_HEADER.size : size]))
            self._buffer = self._buffer[size:]
        return events

    def _display_event(self, event: Event) -> bool:
        if event.object_id != DISPLAY_ID:
            return False
        if event.opcode == 0:
            object_id, code, message = event.decode("ous")
            interface = self.interfaces.get(int(object_id), f"object {object_id}")  # type: ignore[call-overload]
            raise ProtocolError(interface, int(code), str(message))  # type: ignore[call-overload]
        if event.opcode == 1:
            (object_id,) = event.decode("u")
            self.interfaces.pop(int(object_id), None)  # type: ignore[call-overload]
        return True

    def sync(self) -> int:
        """Send wl_display.sync; its callback's `done` (opcode 0) marks the point."""
        callback = self.new_id("wl_callback")
        self.send(DISPLAY_ID, 0, "n", callback)
        return callback

    def roundtrip(self, timeout: float = 2.0) -> list[Event]:
        """Every event the compositor sends before it answers a sync, in order."""
        try:
            callback = self.sync()
        except Closed:
            # A compositor that reported an error closes at once; the error may
            # be waiting unread and says more than the broken pipe.
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self.read(0.05)  # raises ProtocolError, or Closed at the end
            raise
        collected: list[Event] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(f"the compositor did not answer within {timeout:g} s")
            for event in self.read(left):
                if event.object_id == callback:
                    self.interfaces.pop(callback, None)
                    return collected
                collected.append(event)

    def registry(self, timeout: float = 2.0) -> tuple[int, dict[str, Global]]:
        """A wl_registry and the globals it announced, by interface (first of each)."""
        registry = self.new_id("wl_registry")
        self.send(DISPLAY_ID, 1, "n", registry)
        globals_: dict[str, Global] = {}
        for event in self.roundtrip(timeout):
            if event.object_id == registry and event.opcode == 0:
                name, interface, version = event.decode("usu")
                entry = Global(int(name), str(interface), int(version))  # type: ignore[call-overload]
                globals_.setdefault(entry.interface, entry)
        return registry, globals_

    def bind(self, registry: int, entry: Global, version: int) -> int:
        """Bind `entry` at `version` (the caller keeps it <= the advertised one)."""
        object_id = self.new_id(entry.interface)
        self.send(registry, 0, "usun", entry.name, entry.interface, version, object_id)
        return object_id
