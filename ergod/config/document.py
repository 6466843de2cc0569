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


MAX_DEPTH = 32
"""Arrays and inline tables nested deeper than this are refused before parsing:
the TOML parser recurses once per level and fails with RecursionError at a few
hundred (ergod's own keys need two)."""
MAX_KEY_PARTS = 32
"""A dotted key or table name of more parts is refused before parsing: the
parser's time grows with the square of the parts (40,000 took over a minute)."""

_SIGNIFICANT = re.compile(r"[\"'#\n=.\[\]{},]")


def _string_end(text: str, start: int) -> int:
    """The index just after the string starting at `start` (at a newline if unclosed)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        end = start + 3
        while True:
            found = text.find(quote * 3, end)
            if found < 0:
                return len(text)
            # In a basic string a backslash escapes the quote after it.
            if quote == '"' and _escaped(text, found):
                end = found + 1
                continue
            return found + 3
    end = start + 1
    while end < len(text) and text[end] not in (quote, "\n"):
        end += 2 if quote == '"' and text[end] == "\\" else 1
    return min(end + 1, len(text)) if end < len(text) and text[end] == quote else end


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def too_deep(text: str) -> tuple[int, int, str] | None:
    """(line, column, what) where `text` nests beyond MAX_DEPTH or MAX_KEY_PARTS.

    A small scanner that knows strings, comments, brackets and where keys are
    (before `=` at a line start or inside an inline table, and table headers);
    it finds the place without the parser, which is what cannot cope.
    """
    line, line_start = 1, 0
    stack: list[str] = []
    in_key, parts, header, blank = True, 1, False, True
    i = 0
    while True:
        match = _SIGNIFICANT.search(text, i)
        if match is None:
            return None
        i = match.start()
        char = text[i]
        blank = blank and not text[line_start:i].strip()
        column = i - line_start + 1
        if char in "\"'":
            end = _string_end(text, i)
            line += text.count("\n", i, end)
            if "\n" in text[i:end]:
                line_start = text.rindex("\n", i, end) + 1
            i, blank = end, False
            continue
        i += 1
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
        elif char == "\n":
            line, line_start, blank = line + 1, i, True
            if not stack:
                in_key, parts, header = True, 1, False
        elif char == "=" and in_key:
            in_key = False
        elif char == "." and in_key:
            parts += 1
            if parts > MAX_KEY_PARTS:
                return line, column, f"a key of more than {MAX_KEY_PARTS} dotted parts"
        elif char == "[" and not stack and in_key and blank:
            header = True
            i += text.startswith("[", i)
        elif char in "[{":
            stack.append(char)
            if len(stack) > MAX_DEPTH:
                return line, column, f"arrays or inline tables nested over {MAX_DEPTH} deep"
            in_key, parts = char == "{", 1
        elif char in "]}":
            if header:
                header = in_key = False
            elif stack:
                stack.pop()
                in_key = False
        elif char == "," and stack and stack[-1] == "{":
            in_key, parts = True, 1
        blank = False


def parse_text(text: str, path: Path | None) -> Document | Problem:
    """The document in `text`, or the Problem that makes it unreadable as TOML."""
    deep = too_deep(text)
    if deep is not None:
        return Problem(path, "", deep[0], deep[1], "a configuration file ergod can read", deep[2])
    try:
        data = tomllib.loads(text)
    except RecursionError:  # too_deep should have caught it; never a traceback
        found = "nesting too deep to read"
        return Problem(path, "", None, None, "a configuration file ergod can read", found)
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
    if too_deep(f"value = {text}") is not None:
        raise ValueError(f"expected a TOML value nested at most {MAX_DEPTH} deep")
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except (tomllib.TOMLDecodeError, RecursionError):
        raise ValueError("expected a TOML value") from None


MAX_BYTES = 1 << 20
"""A configuration file larger than this is refused, not read."""
PIPE_WAIT = 2.0
"""How long (s) a pipe (`--config <(...)`) may take to deliver its text."""


def read_document(path: Path) -> Document | Problem:
    """The document in the file at `path`, or the Problem that stops reading it."""
    from ergod.files import TooLarge, read_bounded

    try:
        text = read_bounded(path, limit=MAX_BYTES, pipe_wait=PIPE_WAIT).decode("utf-8")
    except TooLarge as exc:
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
