"""The control protocol: how `ergod status`, `pause`, ... talk to the running daemon.

Protocol: a Unix stream socket at `<runtime_dir>/ergod/control.sock` (mode
0600 in a 0700 directory), one request per connection. The client sends one
JSON object on one line; the server answers one JSON object on one line and
closes:

    {"command": "pause", "seconds": 1800}
    {"ok": true, "result": {"message": "paused until 14:30"}}
    {"ok": false, "error": "unknown command 'dance'"}

Commands and their arguments (any other key is an error):
* `status`, `resume`, `skip`, `reload`: none.
* `follow`: none. The one request that keeps its connection: the server
  hands it to the daemon's glance feed (`ergod.daemon.feed`), which sends
  one reply line now and one more each time what a panel shows changes,
  until either side hangs up. `follow_replies` is its client.
* `pause`: `seconds` (number > 0), or null / absent for "until resume".
  The CLI turns `--until HH:MM` into seconds, so the daemon only sees seconds.
* `snooze`: `seconds` (number > 0), or null / absent for the kind's own
  `snooze` setting.
* `pause`, `resume`, `snooze`, `skip`, `reload` also take `language`: the
  locale code (`de_DE`) the answer's message and errors are to be in; absent
  or empty: the daemon's own language.

This module is the wire format (`Request`, `parse_request`) and the client
(`send_request`); it imports only the standard library, so the CLI stays
light. The server is `ergod.daemon.control.ControlServer`.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import json
import math
import os
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.environment import Environment
from ergod.errors import ErgodError, NoDaemonError

SOCKET_NAME = "control.sock"
MAX_REQUEST_BYTES = 64 * 1024
READ_TIMEOUT_SECONDS = 2.0
# Longer pauses or snoozes are surely typing mistakes, and would overflow date
# arithmetic in the daemon long before they meant anything.
MAX_SECONDS = 366 * 86400.0
# A status reply is small; the cap only stops a wrong peer from filling memory.
_MAX_REPLY_BYTES = 4 * 1024 * 1024
# A full listen queue refuses a connect at once (EAGAIN); try again this often.
_CONNECT_RETRY_SECONDS = 0.02


class Command(str, enum.Enum):
    STATUS = "status"
    PAUSE = "pause"
    RESUME = "resume"
    SNOOZE = "snooze"
    SKIP = "skip"
    RELOAD = "reload"
    FOLLOW = "follow"


_TAKES_SECONDS = frozenset({Command.PAUSE, Command.SNOOZE})
_TAKES_LANGUAGE = frozenset(
    {Command.PAUSE, Command.RESUME, Command.SNOOZE, Command.SKIP, Command.RELOAD}
)
_LANGUAGE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@")
_MAX_LANGUAGE = 64


class ControlError(ErgodError):
    """A request the daemon refuses; the message goes back to the client."""


@dataclass(frozen=True)
class Request:
    """One validated control request.

    `seconds` is only meaningful for pause (None: until resume) and snooze
    (None: the configured snooze); it is always None for other commands.
    `language` is the locale code the answer is wanted in ("": the daemon's).
    """

    command: Command
    seconds: float | None = None
    language: str = ""

    def __post_init__(self) -> None:
        if self.seconds is not None and self.command not in _TAKES_SECONDS:
            raise ControlError(f"{self.command.value} takes no seconds")
        if self.language and self.command not in _TAKES_LANGUAGE:
            raise ControlError(f"{self.command.value} takes no language")

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
        allowed = {"command"}
        if command in _TAKES_SECONDS:
            allowed.add("seconds")
        if command in _TAKES_LANGUAGE:
            allowed.add("language")
        extra = sorted(str(field) for field in data if field not in allowed)
        if extra:
            raise ControlError(f"{command.value} does not take {', '.join(extra)}")
        return cls(command, _seconds(data.get("seconds")), _language(data.get("language")))

    def to_json(self) -> dict[str, object]:
        """The wire form, as `from_json` reads it."""
        data: dict[str, object] = {"command": self.command.value}
        if self.command in _TAKES_SECONDS:
            data["seconds"] = self.seconds
        if self.language:
            data["language"] = self.language
        return data


def _language(value: object) -> str:
    if value is None:
        return ""
    if (
        not isinstance(value, str)
        or len(value) > _MAX_LANGUAGE
        or not set(value) <= _LANGUAGE_CHARS
    ):
        raise ControlError('"language" must be a locale code such as "de_DE"')
    return value


def _seconds(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ControlError('"seconds" must be a number or null')
    try:
        seconds = float(value)
    except OverflowError:  # an integer of thousands of digits
        seconds = math.inf
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


def encode(reply: Mapping[str, object]) -> bytes:
    """One JSON object on one line, as the protocol sends it."""
    return json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n"


def error_reply(message: str) -> bytes:
    return encode({"ok": False, "error": message})


def send_request(
    env: Environment, request: Mapping[str, object], timeout: float = 5.0
) -> dict[str, Any]:
    """Send one request to the running daemon and return its `result` object.

    Raises NoDaemonError (exit 3) when no daemon listens, ErgodError (exit 1)
    with the daemon's message when it refuses, or when it cannot be reached.
    """
    path = control_socket_path(env)
    payload = encode(request)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        _connect(sock, path, time.monotonic() + timeout)
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


def follow_replies(env: Environment, timeout: float = 5.0) -> Iterator[dict[str, Any]]:
    """Send `follow` and yield each `result` the daemon pushes, until it hangs up.

    The first reply must come within `timeout`; later ones may take as long
    as nothing changes. Raises as `send_request` does; returns when the daemon
    closes the connection (it stopped).
    """
    path = control_socket_path(env)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        _connect(sock, path, time.monotonic() + timeout)
        try:
            sock.sendall(encode({"command": Command.FOLLOW.value}))
        except OSError as exc:
            raise ErgodError(f"cannot reach ergod at {path}: {exc.strerror or exc}") from None
        pending = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise ErgodError(f"ergod did not answer within {timeout:g} s") from None
            except OSError as exc:
                raise ErgodError(f"lost the connection to ergod: {exc.strerror or exc}") from None
            if not chunk:
                return
            pending += chunk
            if len(pending) > _MAX_REPLY_BYTES:
                raise ErgodError("ergod sent a reply that is not understood")
            while b"\n" in pending:
                line, _, rest = bytes(pending).partition(b"\n")
                pending = bytearray(rest)
                yield _result(line)
                sock.settimeout(None)


def _connect(sock: socket.socket, path: Path, deadline: float) -> None:
    """Connect, riding out a full listen queue until `deadline`."""
    while True:
        try:
            sock.connect(os.fspath(path))
            return
        except (FileNotFoundError, ConnectionRefusedError):
            from ergod.i18n import _

            raise NoDaemonError(
                _("ergod is not running (no control socket at {path})").format(path=path)
            ) from None
        except OSError as exc:
            busy = exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
            if not busy or time.monotonic() >= deadline:
                reason = exc.strerror or exc
                raise ErgodError(f"cannot reach ergod at {path}: {reason}") from None
        time.sleep(_CONNECT_RETRY_SECONDS)


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
