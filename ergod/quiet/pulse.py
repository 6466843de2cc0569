"""Who is recording from a microphone: a small client of the PulseAudio native protocol.

Contract: `PulseClient(path).recording()` returns the recording streams
("source outputs") of the PulseAudio or pipewire-pulse server listening on the
unix socket `path`, each as `Recording(app, source_is_monitor, client_owned,
corked, role)`. Every read and write is bounded by `timeout`; anything that
goes wrong raises `PulseError` (an OSError or a protocol problem), and the
caller drops the client and starts afresh.

Why speak the wire protocol rather than use `pulsectl`: pulsectl loads libpulse
through ctypes, which costs about 6 MB of resident memory (libpulse and its 29
shared libraries) in a daemon whose whole budget is 30 MB, and its operations
have no timeout, so a stopped sound server would block the engine thread. The
three requests needed here (AUTH, SET_CLIENT_NAME, the source-output list and
one source's info) fit in this file with the standard library's socket and
struct; pipewire-pulse speaks the same protocol.

Authentication: the server trusts a client of its own uid by the credentials
the kernel attaches on the unix socket; the cookie (`PULSE_COOKIE`,
~/.config/pulse/cookie) is sent as well, for servers that want it.

Protocol facts used (PulseAudio's pulsecore/native-common.h and tagstruct.h):
packets are a 20-byte big-endian descriptor (length, channel 0xffffffff for
commands, two offset words, flags) and a "tagstruct", where every value is
preceded by a one-byte type tag. Replies are matched to requests by tag.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

VERSION = 32  # what we speak; the reply fields we read exist since version 22
_MIN_VERSION = 22
_COOKIE_LENGTH = 256
_CONTROL = 0xFFFFFFFF
INVALID_INDEX = 0xFFFFFFFF

ERROR, REPLY, AUTH, SET_CLIENT_NAME = 0, 2, 8, 9
GET_SOURCE_INFO, GET_SOURCE_OUTPUT_INFO_LIST = 23, 32

_SOURCE_OUTPUT_FIELDS = 18  # per record, protocol version 22 and later
_MONITOR_OF_SINK = 8  # position of monitor_of_sink in a source's info


class PulseError(Exception):
    """The server could not be reached or answered something unexpected."""


@dataclass(frozen=True)
class Recording:
    """One recording stream, as much of it as the call probe needs."""

    app: str  # application.name, else application.process.binary, else ""
    source: int
    client_owned: bool  # False for a module's own stream (a filter, a remap)
    corked: bool  # paused: not capturing now
    role: str  # media.role ("phone", "filter", ...), "" if unset
    props: Mapping[str, str]


def server_socket(environ: Mapping[str, str]) -> Path | None:
    """The unix socket of the user's sound server, or None where there is none.

    `PULSE_SERVER` (its first `unix:` entry or absolute path) wins; otherwise
    `$XDG_RUNTIME_DIR/pulse/native`, where PulseAudio and pipewire-pulse listen.
    """
    configured = environ.get("PULSE_SERVER", "").split()
    for entry in configured:
        if entry.startswith("{"):  # "{machine-id}unix:/path": a server on that machine
            entry = entry.split("}", 1)[-1]
        path = entry.removeprefix("unix:")
        if path.startswith("/"):
            return Path(path)
    if configured:
        return None  # a network server only: not the user's own microphone
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if not runtime:
        return None
    native = Path(runtime) / "pulse" / "native"
    return native if native.exists() else None


def _cookie(environ: Mapping[str, str]) -> bytes:
    candidates = [environ.get("PULSE_COOKIE", "")]
    home = environ.get("HOME", "")
    config = environ.get("XDG_CONFIG_HOME", "") or (f"{home}/.config" if home else "")
    if config:
        candidates.append(f"{config}/pulse/cookie")
    if home:
        candidates.append(f"{home}/.pulse-cookie")
    for name in candidates:
        if name:
            with contextlib.suppress(OSError):
                data = Path(name).read_bytes()[:_COOKIE_LENGTH]
                if len(data) == _COOKIE_LENGTH:
                    return data
    return bytes(_COOKIE_LENGTH)


# ---- tagstruct ----------------------------------------------------------------


def _u32(value: int) -> bytes:
    return b"L" + struct.pack(">I", value)


def _string(value: str | None) -> bytes:
    return b"N" if value is None else b"t" + value.encode() + b"\0"


def _arbitrary(data: bytes) -> bytes:
    return b"x" + struct.pack(">I", len(data)) + data


def _proplist(props: Mapping[str, str]) -> bytes:
    out = b"P"
    for key, value in props.items():
        data = value.encode() + b"\0"
        out += _string(key) + _u32(len(data)) + _arbitrary(data)
    return out + b"N"


class _Reader:
    """Reads tagged values off one packet's payload."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    @property
    def done(self) -> bool:
        return self._at >= len(self._data)

    def _take(self, n: int) -> bytes:
        if self._at + n > len(self._data):
            raise PulseError("truncated packet")
        chunk = self._data[self._at : self._at + n]
        self._at += n
        return chunk

    def _word(self) -> int:
        value: int = struct.unpack(">I", self._take(4))[0]
        return value

    def value(self) -> object:
        """The next value: int, str, None, bool, bytes, dict (proplist) or a tuple."""
        tag = self._take(1)
        if tag == b"t":
            end = self._data.find(b"\0", self._at)
            if end < 0:
                raise PulseError("unterminated string")
            text = self._data[self._at : end].decode(errors="replace")
            self._at = end + 1
            return text
        simple = {b"N": None, b"1": True, b"0": False}
        if tag in simple:
            return simple[tag]
        if tag in (b"L", b"V"):
            return self._word()
        if tag == b"B":
            return self._take(1)[0]
        if tag in (b"R", b"r", b"U"):
            return struct.unpack(">Q", self._take(8))[0]
        if tag == b"T":
            return (self._word(), self._word())
        if tag == b"a":
            return tuple(self._take(6))
        if tag == b"m":
            return tuple(self._take(self._take(1)[0]))
        if tag == b"v":
            return tuple(self._word() for _ in range(self._take(1)[0]))
        if tag == b"x":
            return self._take(self._word())
        if tag == b"P":
            return self._props()
        if tag == b"f":
            return (self.value(), self.value())  # encoding, then its proplist
        raise PulseError(f"unknown tag {tag!r}")

    def _props(self) -> dict[str, str]:
        props: dict[str, str] = {}
        while True:
            key = self.value()
            if key is None:
                return props
            self.value()  # the length, repeated inside the arbitrary value
            data = self.value()
            if not isinstance(key, str) or not isinstance(data, bytes):
                raise PulseError("malformed property list")
            props[key] = data.rstrip(b"\0").decode(errors="replace")

    def u32(self) -> int:
        value = self.value()
        if not isinstance(value, int) or isinstance(value, bool):
            raise PulseError(f"expected a number, got {value!r}")
        return value


# ---- the client -----------------------------------------------------------------


class PulseClient:
    """One connection to the sound server, authorised and named, used from one thread."""

    def __init__(self, path: Path, environ: Mapping[str, str], *, timeout: float = 0.5) -> None:
        self._tag = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(path))
            self._handshake(environ)
        except OSError as exc:
            self.close()
            raise PulseError(f"{path}: {exc}") from exc
        except PulseError:
            self.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def _handshake(self, environ: Mapping[str, str]) -> None:
        reply = self._request(AUTH, _u32(VERSION) + _arbitrary(_cookie(environ)), creds=True)
        server = reply.u32() & 0xFFFF
        self.version = min(VERSION, server)
        if self.version < _MIN_VERSION:
            raise PulseError(f"server protocol version {server} is too old")
        self._request(SET_CLIENT_NAME, _proplist({"application.name": "ergod"}))

    def recording(self) -> list[Recording]:
        """Every recording stream now."""
        reader = self._request(GET_SOURCE_OUTPUT_INFO_LIST, b"")
        found = []
        while not reader.done:
            values = [reader.value() for _ in range(_SOURCE_OUTPUT_FIELDS)]
            client, source, props, corked = values[3], values[4], values[11], values[12]
            if not (isinstance(client, int) and isinstance(source, int)):
                raise PulseError("malformed source output record")
            if not isinstance(props, dict):
                raise PulseError("source output record without properties")
            app = props.get("application.name") or props.get("application.process.binary", "")
            found.append(
                Recording(
                    app=app,
                    source=source,
                    client_owned=client != INVALID_INDEX,
                    corked=corked is True,
                    role=props.get("media.role", ""),
                    props=props,
                )
            )
        return found

    def is_monitor(self, source: int) -> bool:
        """Whether the source is a sink's monitor (what is played), not a microphone."""
        reader = self._request(GET_SOURCE_INFO, _u32(source) + _string(None))
        values = [reader.value() for _ in range(_MONITOR_OF_SINK + 1)]
        return values[_MONITOR_OF_SINK] != INVALID_INDEX

    # -- packets ---------------------------------------------------------------------

    def _request(self, command: int, body: bytes, *, creds: bool = False) -> _Reader:
        self._tag += 1
        tag = self._tag
        payload = _u32(command) + _u32(tag) + body
        header = struct.pack(">IIIII", len(payload), _CONTROL, 0, 0, 0)
        try:
            if creds and hasattr(socket, "SCM_CREDENTIALS"):
                ucred = struct.pack("=iII", os.getpid(), os.getuid(), os.getgid())
                self._sock.sendmsg(
                    [header + payload], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, ucred)]
                )
            else:
                self._sock.sendall(header + payload)
            while True:
                reader = _Reader(self._packet())
                answer, answered = reader.u32(), reader.u32()
                if answered != tag:
                    continue  # not ours (an event): skip
                if answer == ERROR:
                    raise PulseError(f"the server refused request {command}: error {reader.u32()}")
                if answer != REPLY:
                    raise PulseError(f"unexpected answer {answer} to request {command}")
                return reader
        except OSError as exc:
            raise PulseError(str(exc) or type(exc).__name__) from exc

    def _packet(self) -> bytes:
        while True:
            length, channel, _, _, _ = struct.unpack(">IIIII", self._exactly(20))
            if length > 16 * 1024 * 1024:
                raise PulseError(f"a packet of {length} bytes")
            data = self._exactly(length)
            if channel == _CONTROL:
                return data

    def _exactly(self, n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            chunk = self._sock.recv(n - len(chunks))
            if not chunk:
                raise PulseError("the server closed the connection")
            chunks += chunk
        return bytes(chunks)
