"""The daemon at work: the jobs that move the engine, between the parts that `compose` built.

`Runtime` runs on the engine thread. Its jobs:

* `tick()` at each one-shot wake-up: a suspend seen in the clocks, a retry of
  a broken activity source, quiet time (the probes are asked only when the
  engine has something due, or while they hold quiet time), then the engine;
* `returned(t)` when the return watch fires, `session(event, t)` for lock and
  suspend, `user_event(kind, t)` for the notifier's buttons and the control
  socket's snooze and skip;
* `reload()` (SIGHUP, `ergod reload`), `weekly_notice()`;
* `sync()` after every job: check the session sources' health, arm or cancel
  the return watch, the daily limit, and place the one one-shot at the earliest
  of the engine's (or `Presence`'s) next wake-up, the next quiet-time check or
  schedule boundary, and the next retry of a broken source.

Other threads reach it only through jobs posted on the `JobLoop`: `start()`
hands each part a callback that posts one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from ergod.activity.base import SessionEvent
from ergod.core import Effect, EventKind
from ergod.core.quiet import Transition
from ergod.daemon.compose import Parts
from ergod.errors import ErgodError

_BUTTONS = {"snooze": EventKind.SNOOZE, "skip": EventKind.SKIP}


class Runtime:
    """The engine thread's jobs over the parts; see the module docstring."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._clock = parts.clocks.engine

    def start(self) -> None:
        """Start the parts' threads, each with a callback that posts a job."""
        p = self.parts
        post = p.loop.post
        p.recorder.start(self._clock())
        p.sessions.start(lambda event, t: post(lambda: self.session(event, t)))
        p.wakeups.start(lambda: post(self.tick))
        p.clocks.steps.start(self._clock_stepped)
        self._schedule_config_jobs()
        p.link.start(lambda t: post(lambda: self.returned(t)), lambda: post(p.link.check))
        p.sink.on_action(self._on_button)
        post(self.tick)

    def _clock_stepped(self) -> None:
        """The wall clock was set (the step watch's thread): local-time jobs move,
        and any job makes `sync` place the one-shot from the new local time."""
        self.parts.wakeups.clock_stepped()
        self.parts.loop.post(lambda: None)

    def _on_button(self, key: str) -> None:
        """A notifier button (the notifier's thread)."""
        t = self._clock()
        kind = _BUTTONS.get(key)
        if kind is not None:
            self.parts.loop.post(lambda: self.user_event(kind, t))

    # ---- jobs ----------------------------------------------------------

    def tick(self) -> None:
        p = self.parts
        self.apply(p.link.check_suspend())
        t = self._clock()
        p.link.retry(t)
        ask = p.quiet.quiet or p.link.due_by(t)
        self._quiet_changed(t, p.quiet.update(t, ask_probes=ask))
        self.apply(p.link.tick(t))

    def returned(self, t: float) -> None:
        self.apply(self.parts.link.returned(t))

    def session(self, event: SessionEvent, t: float) -> None:
        self.apply(self.parts.link.event(t, EventKind(event.value)))

    def user_event(self, kind: EventKind, t: float, *, snooze: float | None = None) -> None:
        self.apply(self.parts.link.event(t, kind, snooze=snooze))

    def pause(self, seconds: float | None) -> None:
        t = self._clock()
        self._quiet_changed(t, self.parts.quiet.pause(t, seconds))

    def resume(self) -> bool:
        """End a pause; whether there was one."""
        t = self._clock()
        was, change = self.parts.quiet.resume(t)
        self._quiet_changed(t, change)
        return was

    def apply(self, effects: Iterable[Effect]) -> None:
        p = self.parts
        p.sink.apply(effects, p.settings.wording(p.link.engine.rules))

    def _quiet_changed(self, t: float, change: Transition | None) -> None:
        if change is not None:
            self.apply(self.parts.link.event(t, change.event))

    def reload(self) -> str:
        """Read the configuration again; ErgodError (logged) keeps the old one."""
        from ergod.quiet import build_probes

        p = self.parts
        try:
            loaded, library, rules = p.settings.read()
        except ErgodError as exc:
            p.log.error("reload refused, keeping the running configuration:\n%s", exc.message)
            raise
        p.settings.take(loaded, library, rules)
        p.settings.activate_language()
        config = loaded.config
        p.quiet.reconfigure(config.schedule, build_probes(config.quiet, p.env.environ, p.log))
        p.panels.configure(config, library)
        p.recorder.set_retention(config.store.retention)
        p.daily.limit = config.sitting.daily_limit
        self._schedule_config_jobs()
        self.apply(p.link.engine.reconfigure(self._clock(), rules))
        p.link.configure(p.settings.source)
        p.recorder.reloaded(self._clock())
        p.log.info("configuration reloaded")
        return "configuration reloaded"

    def reload_quietly(self) -> None:
        """SIGHUP: reload; a refusal is logged by `reload` and changes nothing."""
        with contextlib.suppress(ErgodError):
            self.reload()

    def show_card(self, ident: str) -> None:
        """The tray's Exercises menu: one card as a notification."""
        from ergod.exercises.library import UnknownExerciseError, render_card
        from ergod.notify.base import Message

        p = self.parts
        try:
            title, body = render_card(p.settings.library.get(ident))
        except UnknownExerciseError:
            return
        p.sink.notice(Message(title=title, body=body, timeout=p.settings.config.notify.timeout))

    def weekly_notice(self) -> None:
        """The week's headline numbers, at `[summary] notify`."""
        from ergod.i18n import _
        from ergod.notify.base import Message
        from ergod.store import StoreError
        from ergod.summary.query import headline_for

        p = self.parts
        try:
            now = p.wakeups.local_now()
            headline = headline_for(p.recorder.path, now.date(), now.tzinfo)
        except StoreError as exc:
            p.log.warning("weekly summary skipped: %s", exc.message)
            return
        if headline is None:
            return
        title, body = headline
        body += "\n" + _("More: {command}").format(command="ergod summary")
        timeout = p.settings.config.notify.timeout
        p.sink.notice(Message(title=title, body=body, timeout=timeout))

    def _schedule_config_jobs(self) -> None:
        """The jobs the configuration sets: the weekly summary notice and the
        opt-in metrics textfile (on the scheduler thread: it only reads the store)."""
        p = self.parts
        config = p.settings.config
        post = p.loop.post
        p.wakeups.weekly("summary", config.summary.notify, lambda: post(self.weekly_notice))
        interval = p.metrics.configure(config, lambda: p.link.mode == "schedule-only")
        p.wakeups.every("metrics", interval, p.metrics.refresh, now=True)

    # ---- after every job -------------------------------------------------

    def sync(self) -> None:
        """Health, the return watch, the daily limit, the panels, and the next one-shot."""
        p = self.parts
        t = self._clock()
        p.sessions.check(t)
        self.apply(p.link.sync())
        if p.link.mode != "schedule-only":
            p.daily.check(t, p.link.engine.last_input)
        minute = self._publish(t)
        checks = (p.link.wakeup_at(), p.quiet.next_check(t), p.link.retry_at, p.sessions.retry_at)
        moments = [m for m in (*checks, minute) if m is not None]
        p.wakeups.place(min(moments) if moments else None)

    def _publish(self, t: float) -> float | None:
        """The glance for panels; the next minute of sitting time while one watches."""
        p = self.parts
        paused = p.quiet.paused_until
        until = None
        if paused is not None and paused != float("inf"):
            local = p.wakeups.local(paused)
            same_day = local.date() == p.wakeups.local_now().date()
            until = local.strftime("%H:%M" if same_day else "%a %H:%M")
        engine = p.link.engine
        return p.panels.publish(
            engine.view(t),
            engine.rules,
            reasons=p.quiet.reasons(t),
            paused_until=until,
            mode=p.link.mode,
            source=p.link.choice.name,
        )
