"""Value types of configuration keys: how a value is read, written back and shown.

A `ValueType` parses text or TOML into a value (raising ValueError whose
message starts "expected ..."; `FieldErrors` for a list of tables, naming each
bad field), writes it back as the user writes it, and renders it as JSON. The
constructors here (`duration`, `count`, `one_of`, `choice`, `clock`, and the
fixed types `BOOLEAN`, `DAYS`, `STRINGS`, `PATH`, `SOUND`, `LANGUAGE`,
`WEEKLY`, `CUSTOM_EXERCISES`) are what `ergod.config.schema.KEYS` is built
from. `toml_literal` and `show_value` write a value the way a person reads it
in a file or a message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

from ergod.durations import (
    format_days,
    format_duration,
    format_time_of_day,
    format_weekly_time,
    parse_clock_time,
    parse_days,
    parse_duration,
    parse_weekly_time,
)
from ergod.exercises.fields import check_table


class FieldErrors(ValueError):
    """Several fields of one value are wrong: (key suffix, expected, found)."""

    def __init__(self, errors: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{s}: expected {e}" for s, e, _ in errors))
        self.errors = errors


def toml_literal(value: object) -> str:
    """A value as TOML writes it: "20m", 5, true, ["a"], { id = "x" }."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{k} = {toml_literal(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    isoformat = getattr(value, "isoformat", None)  # TOML dates and times
    return str(isoformat()) if callable(isoformat) else type(value).__name__


_SHOWN_LIMIT = 200


def show_value(value: object) -> str:
    """A value found in a file, for messages: as TOML, but a table is "a table"."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "a list of tables"
    text = toml_literal(value)
    # A 300 kB string in a file should not come back as a 300 kB message.
    if len(text) > _SHOWN_LIMIT:
        return f"{text[:_SHOWN_LIMIT]}... ({len(text)} characters)"
    return text


@dataclass(frozen=True)
class ValueType:
    """How one key's value is read, written back and shown as JSON."""

    parse: Callable[[object], Any]
    written: Callable[[Any], Any]
    to_json: Callable[[Any], Any]
    numeric: bool = False  # policy bounds may apply
    text: bool = False  # `config set KEY VALUE` takes VALUE as a string as is


def _same(value: Any) -> Any:
    return value


def duration(minimum: float = 0.0, *, zero: str = "") -> ValueType:
    """A duration of at least `minimum` seconds; with `zero` ("no limit"), 0 too.

    Every key that sets how often something happens has a minimum: below it
    a timer would fire so often that ergod itself became the load.
    """
    expected = f"a duration of at least {format_duration(minimum)}"
    if zero:
        expected = f"0 ({zero}) or {expected}"

    def parse(value: object) -> float:
        seconds = parse_duration(value)
        if seconds < minimum and not (zero and seconds == 0):
            raise ValueError(f"expected {expected}")
        return seconds

    return ValueType(parse, format_duration, _same, numeric=True)


TENTH = 0.1  # the break and sitting clocks: seconds-scale demos and tests work
DAY = 86400.0


def count(minimum: int) -> ValueType:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"expected a whole number of at least {minimum}")
        return value

    return ValueType(parse, _same, _same, numeric=True)


def _parse_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


BOOLEAN = ValueType(_parse_bool, _same, _same)


def one_of(names: tuple[str, ...]) -> ValueType:
    """One of `names`, as a plain string (any case on input)."""

    def parse(value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in names:
            return value.strip().lower()
        raise ValueError("expected one of " + ", ".join(names))

    return ValueType(parse, _same, _same, text=True)


def choice(enum: type[Enum]) -> ValueType:
    """One of an enum's values, as the enum member."""
    names = one_of(tuple(str(member.value) for member in enum))

    def parse(value: object) -> Enum:
        return enum(names.parse(value))

    return ValueType(parse, lambda v: v.value, lambda v: v.value, text=True)


def clock(*, end_of_day: bool = False) -> ValueType:
    def parse(value: object) -> int:
        return parse_clock_time(value, allow_end_of_day=end_of_day)

    return ValueType(parse, format_time_of_day, format_time_of_day, text=True)


DAYS = ValueType(parse_days, format_days, lambda days: [format_days((d,)) for d in days])


def _parse_strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


STRINGS = ValueType(_parse_strings, list, list)


def _parse_path(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError('expected a file path as a string ("" for the default)')
    return value


PATH = ValueType(_parse_path, _same, _same, text=True)

_SOUND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _parse_sound(value: object) -> str:
    """Off (""), a sound theme name ("message-new-instant") or a file path."""
    if isinstance(value, str) and (
        value == "" or _SOUND_NAME.match(value) or value.startswith(("/", "~/"))
    ):
        return value
    raise ValueError(
        'expected a sound name like "message-new-instant", an absolute or ~/ file path, '
        'or "" for none'
    )


SOUND = ValueType(_parse_sound, _same, _same, text=True)


_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?$")


def _parse_language(value: object) -> str:
    if not isinstance(value, str) or not (value == "" or _LANGUAGE.match(value)):
        raise ValueError('expected a language like "de", "fr_FR" or "es", or "" for the locale')
    return value


LANGUAGE = ValueType(_parse_language, _same, _same, text=True)


def _parse_weekly(value: object) -> tuple[int, int] | None:
    if value == "":
        return None
    try:
        return parse_weekly_time(value)
    except ValueError:
        raise ValueError('expected a day and time like "fri 16:00", or "" for off') from None


def _write_weekly(value: tuple[int, int] | None) -> str:
    return "" if value is None else format_weekly_time(*value)


WEEKLY = ValueType(_parse_weekly, _write_weekly, _write_weekly, text=True)


def _parse_custom(value: object) -> tuple[Mapping[str, Any], ...]:
    """[[exercises.custom]] tables, each checked by the exercise library's own
    validator, so `config check` points at the field with its line."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("expected [[exercises.custom]] tables")
    errors = [
        (f"[{index}]" + (f".{p.field}" if p.field is not None else ""), p.expected, p.found)
        for index, table in enumerate(value)
        for p in check_table(table, show_value)
    ]
    if errors:
        raise FieldErrors(errors)
    return tuple(MappingProxyType(dict(table)) for table in value)


def _write_custom(value: tuple[Mapping[str, Any], ...]) -> list[dict[str, Any]]:
    return [dict(table) for table in value]


CUSTOM_EXERCISES = ValueType(_parse_custom, _write_custom, _write_custom)


def expected_text(error: ValueError) -> str:
    """The "expected ..." part of a parser's error, without the word."""
    text = str(error)
    return text[len("expected ") :] if text.startswith("expected ") else text
