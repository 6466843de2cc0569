"""One configuration file as read: its TOML data and where each key was written.

`read_document` parses with the standard TOML parser (tomllib, or tomli before
Python 3.11) and then finds the line and column of every key and table header
with a small line scanner, because neither parser reports positions. Positions
are 1-based. Keys inside the n-th `[[a.b]]` table are named `a.b[n].key`
(n from 0). A key the scanner cannot place (inside an inline table, say) is
reported at its nearest placed parent. Reading never writes anything.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ergod.config.errors import Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")

Position = tuple[int, int]
NO_SUCH_FILE = "no such file"


@dataclass(frozen=True)
class Document:
    """A parsed TOML file with the position of each dotted key in it."""

    path: Path | None
    data: Mapping[str, Any]
    positions: Mapping[str, Position] = field(default_factory=dict)

    def position(self, key: str) -> tuple[int | None, int | None]:
        """(line, column) of `key`, of its nearest placed parent, or (None, None)."""
        probe = key
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None, None


def _key_path(line: str, start: int) -> tuple[list[str], int]:
    """The dotted key that starts at `start`, and the index just after it."""
    parts: list[str] = []
    i = start
    while True:
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line) and line[i] in "\"'":
            quote = line[i]
            end = i + 1
            while end < len(line) and line[end] != quote:
                end += 2 if quote == '"' and line[end] == "\\" else 1
            parts.append(line[i + 1 : end])
            i = end + 1
        else:
            match = _BARE.match(line, i)
            if match is None:
                return parts, i
            parts.append(match.group())
            i = match.end()
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line) and line[i] == ".":
            i += 1
            continue
        return parts, i


def _bracket_depth(text: str, depth: int) -> int:
    """Array nesting after `text`, skipping strings and comments."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            break
        if char in "\"'":
            end = i + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            i = end
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        i += 1
    return depth


def locate_keys(text: str) -> dict[str, Position]:
    """Dotted key -> (line, column) for every key and table header in `text`."""
    positions: dict[str, Position] = {}
    table = ""
    array_counts: dict[str, int] = {}
    open_string = ""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if open_string:
            if open_string in line:
                open_string = ""
            continue
        if depth > 0:
            depth = max(0, _bracket_depth(line, depth))
            continue
        stripped = line.lstrip()
        column = len(line) - len(stripped) + 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            parts, _ = _key_path(line, column - 1 + (2 if is_array else 1))
            name = ".".join(parts)
            if is_array:
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                positions.setdefault(name, (number, column))
                name = f"{name}[{index}]"
            positions[name] = (number, column)
            table = name
            continue
        parts, after = _key_path(line, column - 1)
        rest = line[after:].lstrip()
        if not parts or not rest.startswith("="):
            continue
        key = ".".join([table, *parts] if table else parts)
        positions[key] = (number, column)
        value = rest[1:].lstrip()
        for quotes in ('"""', "'''"):
            if value.startswith(quotes) and quotes not in value[3:]:
                open_string = quotes
        if not open_string:
            depth = max(0, _bracket_depth(value, 0))
    return positions


def parse_text(text: str, path: Path | None) -> Document | Problem:
    """The document in `text`, or the Problem that makes it unreadable as TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        match = _TOML_POSITION.search(reason)
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        reason = _TOML_POSITION.sub("", reason).strip()
        return Problem(path, "", line, column, "valid TOML", reason[:1].lower() + reason[1:])
    return Document(path, data, locate_keys(text))


def toml_value(text: str) -> object:
    """The TOML value written `text` (`3`, `true`, `["a"]`); ValueError if none."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        raise ValueError("expected a TOML value") from None


MAX_BYTES = 1 << 20
"""A configuration file larger than this is refused, not read."""
PIPE_WAIT = 2.0
"""How long (s) a pipe (`--config <(...)`) may take to deliver its text."""


class _Unreadable(OSError):
    """Reading stopped for a reason of ours (too large, a silent pipe)."""


def _read_bytes(path: Path) -> bytes:
    """At most MAX_BYTES from `path`, waiting at most PIPE_WAIT on a pipe or device.

    A FIFO with no writer, or /dev/zero, must not hang `config check` or a
    running daemon's reload; a process substitution still works.
    """
    import os
    import select
    import stat
    import time

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        deadline = time.monotonic() + PIPE_WAIT
        chunks: list[bytes] = []
        size = 0
        while True:
            if not regular:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise _Unreadable(0, f"nothing arrived within {PIPE_WAIT:g} s (a pipe?)")
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_BYTES:
                raise _Unreadable(0, f"more than {MAX_BYTES // 1024} KiB")
            chunks.append(chunk)
    finally:
        os.close(fd)


def read_document(path: Path) -> Document | Problem:
    """The document in the file at `path`, or the Problem that stops reading it."""
    try:
        text = _read_bytes(path).decode("utf-8")
    except _Unreadable as exc:
        return Problem(path, "", None, None, "a readable file", exc.strerror or str(exc))
    except (FileNotFoundError, NotADirectoryError):
        return Problem(path, "", None, None, "a readable file", NO_SUCH_FILE)
    except IsADirectoryError:
        return Problem(path, "", None, None, "a readable file", "a directory")
    except PermissionError:
        return Problem(path, "", None, None, "a readable file", "permission denied")
    except UnicodeDecodeError as exc:
        return Problem(path, "", None, None, "UTF-8 text", f"an invalid byte at {exc.start}")
    except OSError as exc:
        return Problem(path, "", None, None, "a readable file", exc.strerror or str(exc))
    return parse_text(text, path)
