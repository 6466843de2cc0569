"""The composition root of `ergod run`: every part, built once, in one place.

`compose(env, extra, clocks, loop, log, stack)` loads the configuration and
builds the parts from the injected `Environment` and `Clocks`: the engine and
its idle-first driver, the activity link, the session link, the notifier
chain, the adherence log, the effect sink, the daily limit, quiet-time
control, the wake-ups and the clock-step watch. Each part's shutdown goes on
`stack` as it is built, so leaving the stack stops them in the reverse order
(the control socket first, the store's last rows and the metrics' `up 0`
last) and a part that fails to stop is logged, never in the way of the rest.

Only the modules of the configured parts are imported: no metrics module
without `[metrics] textfile`, no activity-source module but the chosen one's.

`Settings` is the configuration in force and the exercise library; a reload
replaces both at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ergod.activity.base import Clock, SourceSettings
from ergod.daemon.loop import JobLoop
from ergod.daemon.wakeups import WallClock
from ergod.environment import Environment

if TYPE_CHECKING:
    from ergod.activity import SourceChoice
    from ergod.activity.suspend import ClockReading
    from ergod.config import Config, LoadedConfig
    from ergod.core.rules import Rules
    from ergod.daemon.activity_link import ActivityLink, SpanListener
    from ergod.daemon.daily import DailyLimit
    from ergod.daemon.effects import EffectSink, MetricsFile, Wording
    from ergod.daemon.panel import Panels
    from ergod.daemon.quiet import QuietControl
    from ergod.daemon.recorder import Recorder
    from ergod.daemon.session_link import Probe, SessionLink
    from ergod.daemon.steps import ClockSteps
    from ergod.daemon.wakeups import Wakeups
    from ergod.exercises.library import Library
    from ergod.notify import NotifierChoice


@dataclass(frozen=True)
class Clocks:
    """The daemon's clocks: the engine's (CLOCK_BOOTTIME), the wall clock, both
    read back to back for suspend detection, and the wall-clock step watch."""

    engine: Clock
    wall: WallClock
    read_clocks: Callable[[], ClockReading]
    steps: ClockSteps


class Settings:
    """The configuration in force (and its exercise library); engine thread only."""

    def __init__(self, env: Environment, extra: Sequence[Path], log: logging.Logger) -> None:
        self._env = env
        self._extra = tuple(extra)
        self._log = log
        self.loaded, self.library, self.rules = self.read()

    @property
    def config(self) -> Config:
        return self.loaded.config

    @property
    def files(self) -> list[str]:
        """The configuration files in force, lowest layer first."""
        return [f.name for f in self.loaded.files if f.exists]

    def read(self) -> tuple[LoadedConfig, Library, Rules]:
        """Load the layers afresh; ErgodError (ConfigError) when they are unusable."""
        from ergod.config.compose import engine_rules, load
        from ergod.exercises.library import load_library

        loaded = load(self._env, self._extra)
        config = loaded.config
        library = load_library(config.exercises.custom, config.exercises.disabled)
        rules = engine_rules(config)
        for warning in loaded.warnings:
            self._log.warning("%s", warning)
        return loaded, library, rules

    def take(self, loaded: LoadedConfig, library: Library, rules: Rules) -> None:
        self.loaded, self.library, self.rules = loaded, library, rules

    @property
    def source(self) -> SourceSettings:
        """What a source that is told of absences must know: threshold, inhibitors."""
        return SourceSettings(
            threshold=self.rules.watch_threshold,
            ignore_inhibitors=self.config.activity.inhibitors.value == "ignore",
        )

    def activate_language(self) -> None:
        """`[notify] language` (or the locale) for prompts and notices."""
        from ergod.i18n import activate

        code = activate(self.config.notify.language, self._env.environ).code
        self._log.info("language: %s", code)

    def wording(self, rules: Rules) -> Wording:
        from ergod.daemon.effects import Wording

        notify = self.config.notify
        sound = notify.sound
        # A name as is (a sound theme's), a `~/` path made absolute.
        sound = str(self._env.expand_user(sound)) if sound.startswith("~/") else sound
        return Wording(rules, self.library, notify.timeout, notify.actions, sound)


@dataclass(frozen=True)
class Parts:
    """Everything `ergod run` is made of; built by `compose`, never replaced."""

    env: Environment
    clocks: Clocks
    loop: JobLoop
    log: logging.Logger
    settings: Settings
    link: ActivityLink
    sessions: SessionLink
    sink: EffectSink
    recorder: Recorder
    metrics: MetricsFile
    daily: DailyLimit
    quiet: QuietControl
    wakeups: Wakeups
    panels: Panels
    started: float


def compose(
    env: Environment,
    extra: Sequence[Path],
    clocks: Clocks,
    loop: JobLoop,
    log: logging.Logger,
    stack: contextlib.ExitStack,
) -> Parts:
    """Build every part; their shutdowns go on `stack` (see the module docstring)."""
    from ergod.daemon.effects import EffectSink, MetricsFile
    from ergod.daemon.panel import Panels
    from ergod.daemon.wakeups import Wakeups

    settings = Settings(env, extra, log)
    settings.activate_language()
    config = settings.config
    wakeups = Wakeups(clocks.engine, clocks.wall)
    metrics = MetricsFile(env, log)
    stack.callback(_quietly, log, lambda: metrics.refresh(up=False))  # after the store's rows
    recorder = _recorder(env, config, wakeups, log)
    notify = _notifier(config, env, log, stack)
    sink = EffectSink(notify, recorder, lambda: wakeups.local_now().date(), log)
    daily = _daily(settings, wakeups, sink, recorder)
    link = _activity(settings, env, clocks, Spans((recorder, daily)), log)
    # Stopped in reverse: the source, then the store's last rows (the open span).
    stack.callback(_quietly, log, lambda: recorder.stop(clocks.engine(), link.engine.last_input))
    stack.callback(_quietly, log, link.stop)
    stack.callback(_quietly, log, wakeups.shutdown)
    stack.callback(_quietly, log, clocks.steps.stop)
    quiet = _quiet(config, env, wakeups, log)
    stack.callback(_quietly, log, quiet.close)
    sessions = _sessions(env, clocks.engine, log)
    stack.callback(_quietly, log, sessions.stop)
    panels = Panels(env, extra, loop.post, log)
    stack.callback(_quietly, log, panels.stop)  # right after the control socket
    return Parts(
        env=env,
        clocks=clocks,
        loop=loop,
        log=log,
        settings=settings,
        link=link,
        sessions=sessions,
        sink=sink,
        recorder=recorder,
        metrics=metrics,
        daily=daily,
        quiet=quiet,
        wakeups=wakeups,
        panels=panels,
        started=clocks.engine(),
    )


def _quietly(log: logging.Logger, stop: Callable[[], object]) -> None:
    """One step of the shutdown: a failure is logged, the next step still runs."""
    try:
        stop()
    except Exception as exc:
        log.warning("while stopping: %s", exc)


def _recorder(env: Environment, config: Config, wakeups: Wakeups, log: logging.Logger) -> Recorder:
    from ergod.daemon.recorder import Recorder

    store = config.store
    return Recorder(store.db_path(env), wakeups.local, log, store.retention)


def _notifier(
    config: Config, env: Environment, log: logging.Logger, stack: contextlib.ExitStack
) -> NotifierChoice:
    from ergod.notify import select_notifier

    notify = select_notifier(config.notify.backend, env.environ, log)
    stack.callback(_quietly, log, notify.notifier.stop)
    return notify


def _daily(
    settings: Settings, wakeups: Wakeups, sink: EffectSink, recorder: Recorder
) -> DailyLimit:
    from ergod.daemon.daily import DailyLimit, daily_notice

    def notice(t: float, active: float) -> None:
        sink.notice(daily_notice(active, settings.config.notify.timeout))
        recorder.daily_limit(t, active)

    limit = settings.config.sitting.daily_limit
    return DailyLimit(limit, wakeups.local, notice, recorder.earlier)


def _activity(
    settings: Settings, env: Environment, clocks: Clocks, spans: Spans, log: logging.Logger
) -> ActivityLink:
    from ergod.activity import select_source
    from ergod.core import Engine
    from ergod.core.presence import Presence
    from ergod.daemon.activity_link import ActivityLink
    from ergod.daemon.backoff import first_wait

    preference = settings.config.activity.source

    def select() -> SourceChoice:
        return select_source(preference, clocks.engine, env.environ, settings=settings.source)

    choice = select()
    fallback = choice.source is None and preference != "none"
    log.log(logging.WARNING if fallback else logging.INFO, "%s", choice.describe())
    return ActivityLink(
        Presence(Engine(settings.rules)),
        choice,
        select,
        clock=clocks.engine,
        read_clocks=clocks.read_clocks,
        spans=spans,
        log=log,
        first_wait=lambda default: first_wait(env.environ, default),
    )


def _quiet(config: Config, env: Environment, wakeups: Wakeups, log: logging.Logger) -> QuietControl:
    from ergod.daemon.quiet import QuietControl
    from ergod.quiet import build_probes

    probes = build_probes(config.quiet, env.environ, log)
    return QuietControl(probes, config.schedule, wakeups.local_now)


def _sessions(env: Environment, clock: Clock, log: logging.Logger) -> SessionLink:
    from ergod.activity import logind, screensaver
    from ergod.daemon.backoff import first_wait
    from ergod.daemon.session_link import RETRY_FIRST, SessionLink

    probes: list[tuple[str, Probe]] = [
        ("logind", lambda: logind.probe(clock, env.environ)),
        ("screensaver", lambda: screensaver.probe_session(clock, env.environ)),
    ]
    return SessionLink(probes, log, first_wait(env.environ, RETRY_FIRST))


class Spans:
    """Hands activity spans to each listener (the adherence log, the daily limit)."""

    def __init__(self, listeners: Sequence[SpanListener]) -> None:
        self._listeners = tuple(listeners)

    def activity_resumed(self, last_input: float) -> None:
        for listener in self._listeners:
            listener.activity_resumed(last_input)

    def absence_began(self, last_input: float | None) -> None:
        for listener in self._listeners:
            listener.absence_began(last_input)


def real_clocks(
    wall: WallClock | None = None, clock: Clock | None = None, steps: ClockSteps | None = None
) -> Clocks:
    """This machine's clocks (the injected `clock`, `wall`, `steps` where given)."""
    from ergod.activity import suspend
    from ergod.daemon import clock as boot
    from ergod.daemon.steps import clock_steps
    from ergod.daemon.wakeups import utc_now

    engine = clock or boot.now
    wall = wall or utc_now
    return Clocks(engine, wall, suspend.read_clocks, steps or clock_steps(engine, wall))
