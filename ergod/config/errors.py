"""Configuration problems: where, which key, what was expected, what was found.

A `Problem` is one finding in one file. Its one-line form, used everywhere a
person reads it (`ergod config check`, a daemon refusing to start, `config
set` refusing a value), is

    FILE:LINE:COL: KEY: expected EXPECTED, found FOUND[; HINT]

with `:LINE` and `:COL` left out when unknown and `KEY: ` left out for
problems of the file as a whole (unreadable, not TOML). `ConfigError` carries
every problem found, not just the first, and exits 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ergod.errors import EXIT_USAGE, ErgodError

BUILTIN_NAME = "<built-in>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one configuration file."""

    file: Path | None  # None: the built-in defaults
    key: str  # dotted, e.g. "breaks.stretch.every"; "" for the whole file
    line: int | None
    column: int | None
    expected: str
    found: str
    hint: str = ""

    @property
    def where(self) -> str:
        text = str(self.file) if self.file is not None else BUILTIN_NAME
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text

    @property
    def message(self) -> str:
        key = f"{self.key}: " if self.key else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.where}: {key}expected {self.expected}, found {self.found}{hint}"

    def as_warning(self, outcome: str) -> str:
        """The problem as a warning that says what became of it ("ignored")."""
        key = f"{self.key}: " if self.key else ""
        hint = f"; {self.hint}" if self.hint else ""
        what = f"expected {self.expected}, found {self.found}{hint}"
        return f"{self.where}: {key}warning: {what}; {outcome}"

    def __str__(self) -> str:
        return self.message


class ConfigError(ErgodError):
    """The configuration cannot be used; `.problems` says every reason."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: Sequence[Problem], headline: str = "") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = headline or f"configuration has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([head, *(p.message for p in self.problems)]))
