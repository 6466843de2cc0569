"""The daemon: the composition root that turns the engine into `ergod run`.

`Daemon` builds every part from an injected `Environment` and clock, then runs
the engine on one thread (the caller's). Everything else reaches the engine by
posting a job to that thread's queue:

* APScheduler (one worker) fires a one-shot job at the earliest of the
  engine's next wake-up, the end of a pause or quiet recheck and the next
  schedule boundary, replaced after every job;
* the activity source's return watch, the session sources (lock, suspend), the
  notifier's buttons, the control socket and the signal handlers.

Nothing polls: with the user away and nothing due, no job is scheduled and the
engine thread sleeps on its queue until the return watch fires.

APScheduler and the engine's clock meet in `ergod.daemon.wakeups`; the adherence
log is written through `ergod.daemon.recorder`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod import __version__
from ergod.activity.base import (
    ActivitySource,
    Clock,
    SessionEvent,
    SourceSettings,
    SourceUnavailable,
)
from ergod.core import (
    BoutEnded,
    BreakRecord,
    BreakResolved,
    Effect,
    Engine,
    EventKind,
    ShowPrompt,
)
from ergod.core.presence import Presence
from ergod.core.quiet import QuietState
from ergod.daemon.wakeups import RECHECK, Wakeups, WallClock, utc_now
from ergod.environment import Environment
from ergod.quiet import QuietProbe

if TYPE_CHECKING:
    from ergod.activity import SourceChoice
    from ergod.config import LoadedConfig
    from ergod.daemon.recorder import Recorder
    from ergod.exercises.library import Library
    from ergod.fleet.metrics import TextfileRefresher
    from ergod.notify import NotifierChoice

REQUEST_TIMEOUT = 5.0

REPROBE_AFTER_FAILURE = 60.0
"""After the activity source broke, how often (s) to try it again."""
REPROBE_NONE_FOUND = 300.0
"""With no source found at start (e.g. started before the desktop), how often to look."""

Job = Callable[[], None]


def _seconds(env: Environment, name: str, default: float) -> float:
    """A test's override of a wait (`ERGOD_*_SECONDS`); `default` otherwise."""
    try:
        return max(0.1, float(env.environ.get(name, "") or default))
    except ValueError:
        return default


class Daemon:
    """`ergod run`. Build with an Environment; `run()` blocks until stopped."""

    def __init__(
        self,
        env: Environment,
        extra_config: Sequence[Path] = (),
        *,
        clock: Clock | None = None,
        wall: WallClock = utc_now,
        log: logging.Logger | None = None,
    ) -> None:
        from ergod.daemon import clock as boot_clock

        self._env = env
        self._extra = tuple(extra_config)
        self._clock: Clock = clock or boot_clock.now
        self._wall = wall
        self._log = log or logging.getLogger("ergod")
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        # The engine thread sleeps in os.read on this pipe, not in a queue
        # wait: a read is interrupted by signals, so their handlers run at once
        # (a blocked SimpleQueue.get would hold SIGTERM until the next job).
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._armed = False
        self._distrust_idle = False
        self._quiet = QuietState()
        self._probes: list[QuietProbe] = []
        # Outcome counts since start, for `ergod status` (the store keeps history).
        self._outcomes: Counter[tuple[str, str]] = Counter()
        self._started = self._clock()
        self._loaded: LoadedConfig | None = None
        self._library: Library | None = None
        self._engine: Engine | None = None
        self._presence: Presence | None = None
        self._choice: SourceChoice | None = None
        self._notify: NotifierChoice | None = None
        self._sessions: list[Any] = []
        recheck = _seconds(env, "ERGOD_RECHECK_SECONDS", RECHECK)
        self._wakeups = Wakeups(self._clock, wall, lambda: self._post(self._tick), recheck)
        self._control: Any = None
        self._lock: Any = None
        self._suspend: Any = None
        self._shown_kind: str | None = None
        self._recorder: Recorder | None = None
        self._metrics: TextfileRefresher | None = None
        self._preference = "auto"
        self._reprobe_at: float | None = None  # schedule-only by necessity: look again

    # ---- life cycle ----------------------------------------------------

    def run(self) -> int:
        """Start everything, serve until SIGTERM/SIGINT or `stop()`, clean up."""
        from ergod.daemon.instance import acquire_instance_lock

        self._install_signals()  # first: a stop during start-up waits in the queue
        self._lock = acquire_instance_lock(self._env)
        try:
            self._start()
            self._serve()
        finally:
            self._shutdown()
        return 0

    def stop(self) -> None:
        """Ask the daemon to stop (thread-safe)."""
        self._post(self._request_stop)

    def _start(self) -> None:
        from ergod.activity import select_source
        from ergod.activity.suspend import SuspendDetector, read_clocks
        from ergod.config.compose import engine_rules, load
        from ergod.notify import select_notifier
        from ergod.quiet import build_probes

        self._loaded = load(self._env, self._extra)
        for warning in self._loaded.warnings:
            self._log.warning("%s", warning)
        config = self._loaded.config
        self._language(config.notify.language)
        self._library = self._load_library()
        self._engine = Engine(engine_rules(config))
        self._presence = Presence(self._engine)
        environ = self._env.environ
        self._preference = config.activity.source
        self._choice = select_source(
            self._preference, self._clock, environ, settings=self._source_settings()
        )
        fallback = self._choice.source is None and self._preference != "none"
        self._log.log(logging.WARNING if fallback else logging.INFO, "%s", self._choice.describe())
        if fallback:
            self._reprobe_at = self._clock() + self._reprobe_interval(REPROBE_NONE_FOUND)
        self._notify = select_notifier(config.notify.backend, environ, self._log)
        self._notify.notifier.on_action(self._on_action)
        self._suspend = SuspendDetector()
        self._suspend.observe(read_clocks())
        self._probes = build_probes(config.quiet, environ, self._log)
        self._start_recorder()
        self._start_sessions()
        self._start_wakeups()
        self._start_control()
        if self._choice.source is not None:
            try:
                self._start_source(self._choice.source)
            except SourceUnavailable as exc:
                self._source_failed(exc)
        self._post(self._tick)
        self._notify_systemd("READY=1")
        self._log.info("version %s running (pid %d)", __version__, os.getpid())

    def _start_recorder(self) -> None:
        from ergod.daemon.recorder import Recorder

        assert self._loaded is not None
        store = self._loaded.config.store
        self._recorder = Recorder(store.db_path(self._env), self._wakeups.local, self._log)
        self._recorder.start(self._clock(), store.retention)

    def _start_sessions(self) -> None:
        from ergod.activity import logind, screensaver

        for probe in (logind.probe, screensaver.probe_session):
            try:
                source = probe(self._clock, self._env.environ)
                source.start(self._on_session)
            except SourceUnavailable as exc:
                self._log.info("lock/suspend signals: %s", exc)
                continue
            except Exception as exc:  # a bus quirk must not stop the daemon
                self._log.warning("lock/suspend signals unavailable: %s", exc)
                continue
            self._sessions.append(source)

    def _start_wakeups(self) -> None:
        self._wakeups.start()
        self._wakeups.every("retention", 24 * 3600.0, lambda: self._post(self._prune))
        self._schedule_config_jobs()
        watchdog = self._env.environ.get("WATCHDOG_USEC", "")
        if watchdog.isdigit() and int(watchdog) > 0:
            # From the scheduler's thread: proves the scheduler is alive too.
            seconds = int(watchdog) / 2e6
            self._wakeups.every("watchdog", seconds, lambda: self._notify_systemd("WATCHDOG=1"))

    def _schedule_config_jobs(self) -> None:
        """The jobs the configuration sets: the weekly summary notice, and the
        opt-in metrics textfile (on the scheduler thread: it only reads the store)."""
        from ergod.fleet.metrics import TextfileRefresher

        assert self._loaded is not None
        config = self._loaded.config
        notice = config.summary.notify
        self._wakeups.weekly("summary", notice, lambda: self._post(self._weekly_notice))
        interval = None
        if config.metrics.textfile:
            self._metrics = self._metrics or TextfileRefresher(self._env, self._log)
            interval = config.metrics.interval
        metrics = self._metrics
        if metrics is not None:
            self._wakeups.every(
                "metrics",
                interval,
                lambda: metrics.refresh(config, schedule_only=self._mode() == "schedule-only"),
                now=True,
            )

    def _start_control(self) -> None:
        from ergod.daemon.control import ControlServer, control_socket_path
        from ergod.environment import ensure_private_dir

        path = control_socket_path(self._env)
        ensure_private_dir(path.parent)
        self._control = ControlServer(path, self._on_request, self._log)
        self._control.start()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        # Whichever thread the kernel hands a signal to, the C-level handler
        # writes to the wake pipe, so the engine thread's read returns and the
        # Python handler runs there at once.
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, lambda *_: self._post(self._request_stop))
        signal.signal(signal.SIGINT, lambda *_: self._post(self._request_stop))
        signal.signal(signal.SIGHUP, lambda *_: self._post(self._reload_quietly))

    def _serve(self) -> None:
        while not self._stopping:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                os.read(self._wake_r, 4096)
                continue
            try:
                job()
            except Exception:
                self._log.exception("internal error; ergod carries on")
            if not self._stopping:
                self._sync()

    def _request_stop(self) -> None:
        self._stopping = True

    def _weekly_notice(self) -> None:
        """Show the week's headline numbers (engine thread)."""
        from ergod.notify.base import Message
        from ergod.store import StoreError
        from ergod.summary.query import headline_for

        assert self._loaded is not None and self._notify is not None
        path = self._loaded.config.store.db_path(self._env)
        try:
            now = self._wakeups.local_now()
            headline = headline_for(path, now.date(), now.tzinfo)
        except StoreError as exc:
            self._log.warning("weekly summary skipped: %s", exc.message)
            return
        if headline is None:
            return
        title, body = headline
        from ergod.i18n import _

        body += "\n" + _("More: {command}").format(command="ergod summary")
        self._notify.notifier.show(
            Message(title=title, body=body, timeout=self._loaded.config.notify.timeout)
        )

    def _prune(self) -> None:
        if self._recorder is not None and self._loaded is not None:
            self._recorder.prune(self._loaded.config.store.retention)

    def _shutdown(self) -> None:
        self._notify_systemd("STOPPING=1")
        source = self._choice.source if self._choice else None
        stops: list[Callable[[], object]] = [session.stop for session in self._sessions]
        stops += [probe.close for probe in self._probes]
        if self._control is not None:
            stops.append(self._control.stop)
        stops.append(self._wakeups.shutdown)
        if source is not None:
            stops.append(source.stop)
        if self._notify is not None:
            stops.append(self._notify.notifier.stop)
        recorder = self._recorder
        if recorder is not None:
            last = self._presence.engine.last_input if self._presence else None
            stops.append(lambda: recorder.stop(self._clock(), last))
        if self._metrics is not None and self._loaded is not None:
            # After the store's last rows; says ergod_up 0.
            loaded = self._loaded
            metrics = self._metrics
            stops.append(lambda: metrics.refresh(loaded.config, up=False))
        if self._lock is not None:
            stops.append(self._lock.release)
        for stop in stops:
            try:
                stop()
            except Exception as exc:
                self._log.warning("while stopping: %s", exc)
        if threading.current_thread() is threading.main_thread():
            signal.set_wakeup_fd(-1)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._log.info("stopped")

    # ---- posting work to the engine thread ---------------------------------

    def _post(self, job: Job) -> None:
        """Queue `job` for the engine thread (any thread, or a signal handler)."""
        self._jobs.put(job)
        # A full pipe holds wake-ups already: the thread will look anyway.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def _on_return(self, t: float) -> None:
        self._post(lambda: self._returned(t))

    def _on_session(self, event: SessionEvent, t: float) -> None:
        self._post(lambda: self._session(event, t))

    def _on_action(self, key: str) -> None:
        t = self._clock()
        kind = {"snooze": EventKind.SNOOZE, "skip": EventKind.SKIP}.get(key)
        if kind is not None:
            self._post(lambda: self._user_event(kind, t))

    def _on_request(self, request: Any) -> dict[str, object]:
        """Control socket handler (server thread): run on the engine thread, wait."""
        from ergod.daemon.control import ControlError

        done: Future[dict[str, object]] = Future()

        def job() -> None:
            try:
                done.set_result(self._answer(request))
            except Exception as exc:
                done.set_exception(exc)

        self._post(job)
        try:
            return done.result(timeout=REQUEST_TIMEOUT)
        except TimeoutError:
            raise ControlError("the daemon is busy; try again") from None

    # ---- engine-thread jobs ----------------------------------------------

    @property
    def _p(self) -> Presence:
        assert self._presence is not None
        return self._presence

    def _idle(self) -> float | None:
        source = self._choice.source if self._choice else None
        if source is None:
            return 0.0  # schedule-only mode: always present
        if self._distrust_idle:
            return None
        try:
            return source.idle_seconds()
        except SourceUnavailable as exc:
            self._source_failed(exc)
            return None

    def _start_source(self, source: ActivitySource) -> None:
        from ergod.activity import on_failure

        # A source that sees its own end says so at once: with a return watch
        # armed and nothing due, the daemon would otherwise not ask until the
        # next wake-up, maybe hours on.
        on_failure(source, lambda: self._post(self._check_source))
        source.start()

    def _check_source(self) -> None:
        """Ask the source: a failure it reported switches to schedule-only mode."""
        self._idle()

    def _source_failed(self, exc: Exception) -> None:
        """The activity source broke (X died, a listener would not start):
        say so once and carry on in schedule-only mode rather than stop."""
        from ergod.activity import SourceChoice

        choice = self._choice
        if choice is None or choice.source is None:
            return
        self._log.warning(
            "activity source %s failed (%s); reminders now follow the clock "
            "(schedule-only mode) until it works again (ergod tries every %.0f s)",
            choice.name,
            exc,
            self._reprobe_interval(REPROBE_AFTER_FAILURE),
        )
        with contextlib.suppress(Exception):
            choice.source.stop()
        self._armed = False
        tried = (*choice.tried, (choice.name, str(exc)))
        self._choice = SourceChoice(None, "none", tried, choice.advice)
        self._reprobe_at = self._clock() + self._reprobe_interval(REPROBE_AFTER_FAILURE)

    def _reprobe_interval(self, default: float) -> float:
        return _seconds(self._env, "ERGOD_REPROBE_SECONDS", default)

    def _reprobe(self, t: float) -> None:
        """Schedule-only by necessity: is the configured source back?"""
        from ergod.activity import select_source

        self._reprobe_at = None
        try:
            choice = select_source(
                self._preference, self._clock, self._env.environ, settings=self._source_settings()
            )
            if choice.source is not None:
                self._start_source(choice.source)
        except SourceUnavailable:
            choice = None
        if choice is None or choice.source is None:
            self._reprobe_at = t + self._reprobe_interval(REPROBE_AFTER_FAILURE)
            return
        self._choice = choice
        self._armed = False
        self._distrust_idle = False
        self._log.info("activity source %s works again; measuring sitting time", choice.name)

    def _tick(self) -> None:
        from ergod.activity.suspend import read_clocks

        suspend = self._suspend.observe(read_clocks()) if self._suspend else None
        if suspend is not None:
            self._log.info("resumed after %.0f s asleep", suspend.length)
            self._effects(self._p.event(suspend.start, EventKind.SLEEP, None))
            self._effects(self._p.event(suspend.end, EventKind.WAKE, None))
            self._distrust_idle = True
        t = self._clock()
        if self._reprobe_at is not None and t >= self._reprobe_at:
            self._reprobe(t)
        due = self._p.engine.next_wakeup()
        self._update_quiet(t, ask_probes=self._quiet.quiet or (due is not None and due <= t))
        self._effects(self._p.tick(t, self._idle()))
        self._activity_resumed()

    def _returned(self, t: float) -> None:
        self._armed = False
        self._distrust_idle = False
        self._effects(self._p.returned(t))
        self._activity_resumed()

    def _session(self, event: SessionEvent, t: float) -> None:
        kind = EventKind(event.value)
        if kind is EventKind.WAKE:
            self._distrust_idle = True  # the X idle counter may not span the sleep
        idle = None if kind is EventKind.WAKE else self._idle()
        self._effects(self._p.event(t, kind, idle))

    def _user_event(self, kind: EventKind, t: float) -> None:
        self._effects(self._p.event(t, kind, self._idle()))

    def _effects(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, ShowPrompt):
                self._show(effect)
            elif isinstance(effect, BreakResolved):
                self._resolved(effect.record)
            elif isinstance(effect, BoutEnded) and self._recorder is not None:
                self._recorder.bout(effect.bout)

    def _show(self, prompt: ShowPrompt) -> None:
        from ergod.exercises.library import render_card
        from ergod.notify.prompt import prompt_message

        assert self._loaded is not None and self._notify is not None
        config = self._loaded.config
        title, body = "", ""
        if prompt.exercise and self._library is not None:
            title, body = render_card(self._library.get(prompt.exercise, translate=True))
        sitting = None if prompt.sitting_since is None else prompt.at - prompt.sitting_since
        rules = self._p.engine.rules.kind(prompt.kind)
        notifier = self._notify.notifier
        message = prompt_message(
            prompt.kind.value,
            title,
            body,
            sitting,
            snooze_minutes=int(rules.snooze // 60) if rules.max_snoozes > 0 else 0,
            timeout=config.notify.timeout,
            actions=config.notify.actions and notifier.supports_actions,
        )
        delivery = notifier.show(message)
        self._shown_kind = prompt.kind.value
        if not delivery.ok:
            # The prompt still counts as shown; the chain has logged the failure.
            self._log.warning("a prompt could not be delivered: %s", delivery.detail)

    def _resolved(self, record: BreakRecord) -> None:
        if self._recorder is not None:
            self._recorder.break_record(record)
        self._outcomes[(record.kind.value, record.outcome.value)] += 1
        if record.first_prompt is not None and self._shown_kind == record.kind.value:
            assert self._notify is not None
            self._notify.notifier.close()
            self._shown_kind = None

    # ---- quiet time and pause --------------------------------------------

    def _update_quiet(self, t: float, *, ask_probes: bool) -> None:
        """Fold the schedule, the pause and (when asked) the probes together;
        tell the engine when quiet time starts or ends."""
        from ergod.core.schedule import inside
        from ergod.quiet import ask

        assert self._loaded is not None
        outside = not inside(self._loaded.config.schedule, self._wakeups.local_now())
        answers = ask(self._probes) if ask_probes else None
        change = self._quiet.update(t, answers, outside_schedule=outside)
        if change is not None:
            self._effects(self._p.event(t, change.event, self._idle()))

    def _activity_resumed(self) -> None:
        """A return, or input seen while not watching: activity is going on."""
        last = self._p.engine.last_input
        present = not self._p.wants_watch and not self._p.engine.blocked
        if self._recorder is not None and last is not None and present:
            self._recorder.activity_resumed(last)

    def _schedule_flip(self, now: float) -> float | None:
        """The next schedule boundary on the engine's clock. A one-shot placed
        anew after every job, not a cron job: APScheduler 3's cron triggers can
        skip or repeat a fire time across DST (apscheduler#529, #1021)."""
        from ergod.core.schedule import next_boundary

        assert self._loaded is not None
        local = self._wakeups.local_now()
        flip = next_boundary(self._loaded.config.schedule, local)
        if flip is None:
            return None
        return now + max(0.0, (flip - local).total_seconds())

    def _pause(self, seconds: float | None) -> str:
        t = self._clock()
        self._quiet.pause(None if seconds is None else t + seconds)
        self._update_quiet(t, ask_probes=False)
        if seconds is None:
            return "paused until you run `ergod resume`"
        from ergod.durations import human_duration

        return f"paused for {human_duration(seconds)}"

    def _resume(self) -> str:
        t = self._clock()
        was = self._quiet.paused_until is not None
        self._quiet.resume()
        self._update_quiet(t, ask_probes=False)
        return "resumed" if was else "was not paused"

    # ---- reload ------------------------------------------------------------

    def _source_settings(self) -> SourceSettings:
        """What a source that is told of absences must know: threshold, inhibitors."""
        assert self._loaded is not None
        return SourceSettings(
            threshold=self._p.engine.rules.watch_threshold,
            ignore_inhibitors=self._loaded.config.activity.inhibitors.value == "ignore",
        )

    def _language(self, setting: str) -> None:
        from ergod.i18n import activate

        self._log.info("language: %s", activate(setting, self._env.environ).code)

    def _reload(self) -> str:
        from ergod.activity import configure as configure_source
        from ergod.config.compose import engine_rules, load
        from ergod.errors import ErgodError
        from ergod.quiet import build_probes

        try:
            loaded = load(self._env, self._extra)
            library = self._load_library(loaded)
            rules = engine_rules(loaded.config)
        except ErgodError as exc:
            self._log.error("reload refused, keeping the running configuration:\n%s", exc.message)
            raise
        self._loaded, self._library = loaded, library
        self._language(loaded.config.notify.language)
        for probe in self._probes:
            probe.close()
        self._probes = build_probes(loaded.config.quiet, self._env.environ, self._log)
        self._schedule_config_jobs()
        for warning in loaded.warnings:
            self._log.warning("%s", warning)
        self._effects(self._p.engine.reconfigure(self._clock(), rules))
        configure_source(self._choice.source if self._choice else None, self._source_settings())
        self._log.info("configuration reloaded")
        return "configuration reloaded"

    def _reload_quietly(self) -> None:
        """SIGHUP: reload; a refusal is logged by `_reload` and changes nothing."""
        from ergod.errors import ErgodError

        with contextlib.suppress(ErgodError):
            self._reload()

    def _load_library(self, loaded: LoadedConfig | None = None) -> Library:
        from ergod.exercises.library import load_library

        config = (loaded or self._loaded).config  # type: ignore[union-attr]
        return load_library(config.exercises.custom, config.exercises.disabled)

    # ---- scheduling --------------------------------------------------------

    def _sync(self) -> None:
        """After every job: arm or cancel the return watch, place the one-shot."""
        source = self._choice.source if self._choice else None
        if source is None and self._p.wants_watch:
            # Schedule-only mode has no return watch to wait for (after a
            # wake, an unlock, at start): the user counts as back now.
            self._effects(self._p.returned(self._clock()))
        if source is not None:
            want = self._p.wants_watch
            if want and not self._armed:
                if self._recorder is not None:  # an absence of the threshold began
                    self._recorder.absence_began(self._p.engine.last_input)
                try:
                    source.watch_return(self._on_return)
                    self._armed = True
                except SourceUnavailable as exc:
                    self._source_failed(exc)
                    return self._sync()
            elif not want and self._armed:
                source.cancel_watch()
                self._armed = False
        wake = self._p.engine.next_wakeup() if source is None else self._p.wakeup_at()
        now = self._clock()
        for check in (self._quiet.next_check(now), self._schedule_flip(now), self._reprobe_at):
            if check is not None:
                wake = check if wake is None else min(wake, check)
        self._wakeups.place(wake)

    # ---- answers to the control socket --------------------------------------

    def _answer(self, request: Any) -> dict[str, object]:
        from ergod.daemon.control import ControlError
        from ergod.errors import ErgodError

        command = str(getattr(request.command, "value", request.command))
        if command == "status":
            return self.status()
        if command == "pause":
            return {"message": self._pause(getattr(request, "seconds", None))}
        if command == "resume":
            return {"message": self._resume()}
        if command in ("snooze", "skip"):
            open_kind = self._p.engine.open_kind()
            if open_kind is None:
                raise ControlError(f"nothing to {command}: no break is open")
            if command == "snooze":
                before = self._open_snoozes()
                self._user_event(EventKind.SNOOZE, self._clock())
                if self._open_snoozes() == before:
                    raise ControlError(f"the {open_kind.value} break cannot be snoozed again")
                return {"message": f"{open_kind.value} break snoozed"}
            self._user_event(EventKind.SKIP, self._clock())
            return {"message": f"{open_kind.value} break skipped"}
        if command == "reload":
            try:
                return {"message": self._reload()}
            except ErgodError as exc:
                raise ControlError(
                    f"reload refused, the last good configuration stays:\n{exc.message}"
                ) from None
        raise ControlError(f"unknown command {command!r}")

    def _open_snoozes(self) -> int:
        return sum(kv.snoozes for kv in self._p.engine.view(self._clock()).kinds)

    def status(self) -> dict[str, object]:
        """What `ergod status` shows (engine thread only)."""
        import psutil

        t = self._clock()
        engine = self._p.engine
        view = engine.view(t)
        me = psutil.Process()
        open_break = None
        upcoming = []
        for kv in view.kinds:
            if kv.open_since is not None:
                open_break = {
                    "kind": kv.kind.value,
                    "since_seconds": t - kv.open_since,
                    "prompts": kv.prompts,
                    "snoozes": kv.snoozes,
                }
            moment = kv.next_due if kv.next_due is not None else kv.next_prompt
            if moment is not None:
                upcoming.append((moment, kv.kind.value))
        upcoming.sort()
        # Asking the source first: a failure found now switches the mode below.
        idle = self._idle() if self._choice and self._choice.source else None
        choice = self._choice
        paused = self._quiet.paused_until
        paused_text: str | None = None
        if paused == float("inf"):
            paused_text = "indefinitely"
        elif paused is not None:
            paused_text = self._wakeups.local(paused).isoformat(timespec="minutes")
        return {
            "pid": os.getpid(),
            "version": __version__,
            "uptime_seconds": t - self._started,
            "source": {
                "name": choice.name if choice else "none",
                "protocol": choice.protocol if choice else "",
                "mode": self._mode(),
                "tried": [list(pair) for pair in choice.tried] if choice else [],
                "advice": choice.advice if choice else "",
                "why": choice.why if choice else "",
            },
            "notifier": ", ".join(self._notify.chain) if self._notify else "",
            "sitting_seconds": None if view.sitting_since is None else t - view.sitting_since,
            "idle_seconds": idle,
            "locked": view.locked,
            "paused_until": paused_text,
            "quiet": list(self._quiet.reasons(t)),
            "open_break": open_break,
            "next": {"kind": upcoming[0][1], "in_seconds": max(0.0, upcoming[0][0] - t)}
            if upcoming
            else None,
            "today": [
                {"kind": kind, "outcome": outcome, "count": n}
                for (kind, outcome), n in sorted(self._outcomes.items())
            ],
            "rss_bytes": me.memory_info().rss,
            "cpu_seconds": sum(me.cpu_times()[:2]),
            "config_files": [f.name for f in self._layer_files() if f.exists],
            "store": self._recorder.status if self._recorder else "off",
            "weekly_summary_at": self._summary_next(),
        }

    def _summary_next(self) -> str | None:
        moment = self._wakeups.next_run("summary")
        return moment.isoformat(timespec="minutes") if moment else None

    def _mode(self) -> str:
        choice = self._choice
        if choice is None or choice.source is None:
            return "schedule-only"
        return "listener" if choice.name == "pynput" else "idle-first"

    def _layer_files(self) -> list[Any]:
        from ergod.config import layer_files

        return list(layer_files(self._env, self._extra))

    def _notify_systemd(self, message: str) -> None:
        from ergod.daemon.sdnotify import notify

        notify(message, self._env.environ)
