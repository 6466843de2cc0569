"""Every configuration key ergod knows: its type, validation and typed value.

`KEYS` maps each dotted key to a `ValueType` (`ergod.config.values`: parse
text/TOML to a value, write it back as the user writes it, render it as JSON). The shipped
`ergod/data/default.toml` holds exactly these keys, each documented with a
comment; a test keeps the two equal, so a key is never added silently.
`Config` is the validated whole, as frozen dataclasses mirroring the TOML
sections; `Config.rules()` is what the engine runs by. `CROSS_RULES` are the
rules that tie two keys together.

Every duration that sets how often something happens has a minimum (0.1 s for
the break and sitting clocks, 10 s for `metrics.interval`, a day for
`store.retention`): a seconds-scale configuration such as `every = "6s"`
stays valid because tests and demos need it, but "0.001s" no longer costs a
core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from ergod.activity import SOURCE_NAMES
from ergod.config.values import (
    BOOLEAN,
    CUSTOM_EXERCISES,
    DAY,
    DAYS,
    LANGUAGE,
    PATH,
    SOUND,
    STRINGS,
    TENTH,
    WEEKLY,
    ValueType,
    choice,
    clock,
    count,
    duration,
    one_of,
    show_value,
)
from ergod.core.rules import KindRules, Rules
from ergod.environment import Environment
from ergod.notify import BACKEND_NAMES


class Inhibitors(str, Enum):
    """Whether an idle inhibitor (a playing video) makes the user look present."""

    PRESENCE = "presence"
    IGNORE = "ignore"


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
