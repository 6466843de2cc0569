"""Every configuration key ergod knows: its type, validation and typed value.

`KEYS` maps each dotted key to a `ValueType` (parse text/TOML to a value,
write it back as the user writes it, render it as JSON). The shipped
`ergod/data/default.toml` holds exactly these keys, each documented with a
comment; a test keeps the two equal, so a key is never added silently.
`Config` is the validated whole, as frozen dataclasses mirroring the TOML
sections; `Config.rules()` is what the engine runs by. `CROSS_RULES` are the
rules that tie two keys together. Parsers raise ValueError whose message starts
"expected ..."; a list of tables raises `FieldErrors` naming each bad field.

Every duration that sets how often something happens has a minimum (0.1 s for
the break and sitting clocks, 10 s for `metrics.interval`, a day for
`store.retention`): a seconds-scale configuration such as `every = "6s"`
stays valid because tests and demos need it, but "0.001s" no longer costs a
core.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ergod.activity import SOURCE_NAMES
from ergod.core.rules import KindRules, Rules
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
from ergod.environment import Environment
from ergod.exercises.fields import check_table
from ergod.notify import BACKEND_NAMES


class Inhibitors(str, Enum):
    """Whether an idle inhibitor (a playing video) makes the user look present."""

    PRESENCE = "presence"
    IGNORE = "ignore"


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


def _kind_keys(kind: str) -> dict[str, ValueType]:
    return {
        f"breaks.{kind}.enabled": BOOLEAN,
        f"breaks.{kind}.every": duration(TENTH),
        f"breaks.{kind}.duration": duration(TENTH),
        f"breaks.{kind}.grace": duration(),
        f"breaks.{kind}.repeat": duration(TENTH),
        f"breaks.{kind}.max_prompts": count(1),
        f"breaks.{kind}.snooze": duration(TENTH),
        f"breaks.{kind}.max_snoozes": count(0),
    }


# In the order of default.toml.
KEYS: dict[str, ValueType] = {
    "sitting.break_after": duration(TENTH),
    "sitting.daily_limit": duration(),
    "activity.presence": duration(TENTH),
    "activity.source": one_of(SOURCE_NAMES),
    "activity.inhibitors": choice(Inhibitors),
    "breaks.coalesce": duration(),
    "breaks.catch_up": duration(),
    **_kind_keys("stretch"),
    **_kind_keys("movement"),
    "schedule.days": DAYS,
    "schedule.start": clock(),
    "schedule.end": clock(end_of_day=True),
    "quiet.calls": BOOLEAN,
    "quiet.processes": STRINGS,
    "quiet.fullscreen": BOOLEAN,
    "quiet.dnd": BOOLEAN,
    "quiet.max_pause": duration(60.0, zero="no limit"),
    "notify.backend": one_of(BACKEND_NAMES),
    "notify.timeout": duration(TENTH),
    "notify.actions": BOOLEAN,
    "notify.language": LANGUAGE,
    "notify.sound": SOUND,
    "tray.enabled": BOOLEAN,
    "exercises.disabled": STRINGS,
    "exercises.custom": CUSTOM_EXERCISES,
    "store.path": PATH,
    "store.retention": duration(DAY),
    "metrics.textfile": PATH,
    "metrics.interval": duration(10.0),
    "summary.notify": WEEKLY,
}

# Every table that may hold keys: the prefixes of KEYS.
SECTIONS: frozenset[str] = frozenset(
    key.rsplit(".", i)[0] for key in KEYS for i in range(1, key.count(".") + 1)
)


@dataclass(frozen=True)
class CrossRule:
    """`low` must be below `high` (strict) or at most `high` (not strict)."""

    low: str
    high: str
    strict: bool

    def holds(self, values: Mapping[str, Any]) -> bool:
        low, high = values[self.low], values[self.high]
        return bool(low < high if self.strict else low <= high)

    def expected(self, blamed: str, values: Mapping[str, Any]) -> str:
        """What `blamed` (one of the two keys) should have been."""
        if blamed == self.low:
            word = "less than" if self.strict else "at most"
            other = self.high
        else:
            word = "more than" if self.strict else "at least"
            other = self.low
        return f"{word} {other} ({show_value(KEYS[other].written(values[other]))})"


CROSS_RULES: tuple[CrossRule, ...] = (
    *(
        rule
        for kind in ("stretch", "movement")
        for rule in (
            CrossRule(f"breaks.{kind}.duration", f"breaks.{kind}.every", strict=True),
            CrossRule(f"breaks.{kind}.grace", f"breaks.{kind}.repeat", strict=False),
        )
    ),
    CrossRule("schedule.start", "schedule.end", strict=True),
)


def expected_text(error: ValueError) -> str:
    """The "expected ..." part of a parser's error, without the word."""
    text = str(error)
    return text[len("expected ") :] if text.startswith("expected ") else text


@dataclass(frozen=True)
class SittingConfig:
    break_after: float
    daily_limit: float  # seconds of input per day before a soft notice; 0 = off


@dataclass(frozen=True)
class ActivityConfig:
    presence: float
    source: str  # one of ergod.activity.SOURCE_NAMES
    inhibitors: Inhibitors


@dataclass(frozen=True)
class BreaksConfig:
    coalesce: float
    catch_up: float  # after quiet time, a kind suppressed in it falls due this much later
    stretch: KindRules
    movement: KindRules


@dataclass(frozen=True)
class ScheduleConfig:
    days: tuple[int, ...]  # weekdays, Monday 0
    start: int  # minutes after midnight
    end: int  # minutes after midnight, up to 1440


@dataclass(frozen=True)
class QuietConfig:
    calls: bool
    processes: tuple[str, ...]
    fullscreen: bool
    dnd: bool
    max_pause: float = 0.0  # the longest `ergod pause`, seconds; 0 = no limit


@dataclass(frozen=True)
class NotifyConfig:
    backend: str  # one of ergod.notify.BACKEND_NAMES
    timeout: float
    actions: bool
    language: str  # "" = from the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)
    sound: str  # "" = none; a sound theme name, or a file path (~/ allowed)


@dataclass(frozen=True)
class TrayConfig:
    enabled: bool  # show the tray icon where a StatusNotifierWatcher exists


@dataclass(frozen=True)
class ExercisesConfig:
    disabled: tuple[str, ...]  # exercise ids or focus areas
    # [[exercises.custom]] tables, each checked by ergod.exercises.fields;
    # ergod.exercises.library.load_library turns them into cards.
    custom: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class StoreConfig:
    path: str  # as written; "" = the default place
    retention: float

    def db_path(self, env: Environment) -> Path:
        return env.expand_user(self.path) if self.path else env.default_store_path


@dataclass(frozen=True)
class MetricsConfig:
    textfile: str  # as written; "" = no metrics file
    interval: float

    def textfile_path(self, env: Environment) -> Path | None:
        return env.expand_user(self.textfile) if self.textfile else None


@dataclass(frozen=True)
class SummaryConfig:
    notify: tuple[int, int] | None  # (weekday, minutes after midnight); None = off


def _kind_rules(values: Mapping[str, Any], kind: str) -> KindRules:
    prefix = f"breaks.{kind}."
    return KindRules(**{name: values[prefix + name] for name in KindRules.__dataclass_fields__})


@dataclass(frozen=True)
class Config:
    """The effective configuration, validated."""

    sitting: SittingConfig
    activity: ActivityConfig
    breaks: BreaksConfig
    schedule: ScheduleConfig
    quiet: QuietConfig
    notify: NotifyConfig
    tray: TrayConfig
    exercises: ExercisesConfig
    store: StoreConfig
    metrics: MetricsConfig
    summary: SummaryConfig

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Config:
        """From parsed values of every key in KEYS (`KEYS[key].parse`)."""

        def section(name: str, make: Callable[..., Any]) -> Any:
            fields = make.__dataclass_fields__  # type: ignore[attr-defined]
            return make(**{f: values[f"{name}.{f}"] for f in fields})

        return cls(
            sitting=section("sitting", SittingConfig),
            activity=section("activity", ActivityConfig),
            breaks=BreaksConfig(
                coalesce=values["breaks.coalesce"],
                catch_up=values["breaks.catch_up"],
                stretch=_kind_rules(values, "stretch"),
                movement=_kind_rules(values, "movement"),
            ),
            schedule=section("schedule", ScheduleConfig),
            quiet=section("quiet", QuietConfig),
            notify=section("notify", NotifyConfig),
            tray=section("tray", TrayConfig),
            exercises=section("exercises", ExercisesConfig),
            store=section("store", StoreConfig),
            metrics=section("metrics", MetricsConfig),
            summary=section("summary", SummaryConfig),
        )

    def rules(self) -> Rules:
        """What the engine runs by. Exercises are left to the composition root."""
        return Rules(
            break_after=self.sitting.break_after,
            presence=self.activity.presence,
            coalesce=self.breaks.coalesce,
            catch_up=self.breaks.catch_up,
            stretch=self.breaks.stretch,
            movement=self.breaks.movement,
        )
