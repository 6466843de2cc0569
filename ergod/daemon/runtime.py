"""The daemon at work: the jobs that move the engine, between the parts that `compose` built.

`Runtime` runs on the engine thread. Its jobs:

* `tick()` at each one-shot wake-up: a suspend seen in the clocks, a retry of
  a broken activity source, a round of the quiet-time and attended-time
  probes (its events go to the engine first), then the engine;
* `returned(t)` when the return watch fires, `session(event, t)` for lock and
  suspend, `user_event(kind, t)` for the notifier's buttons and the control
  socket's snooze and skip, `hurts(t)` for the "This hurts" button;
* `reload()` (SIGHUP, `ergod reload`), `weekly_notice()`, `show_card(id)`
  (the tray's Exercises menu);
* `sync()` after every job: check the session sources' health, arm or cancel
  the return watch, the daily limit, publish the glance to the panel (feed
  and tray), and place the one one-shot at the earliest of the engine's (or
  `Presence`'s) next wake-up, the next quiet-time check or schedule boundary,
  the next retry of a broken source and the next minute a panel watcher needs.

`request` is the control handler (set by `ergod.daemon.shell` before
`start`): the tray's menu sends its requests through it, as a client would.

Other threads reach it only through jobs posted on the `JobLoop`: `start()`
hands each part a callback that posts one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ergod.activity.base import SessionEvent
from ergod.core import Effect, EventKind, ShowPrompt
from ergod.daemon.compose import Parts
from ergod.errors import ErgodError
from ergod.notify.base import HURTS

if TYPE_CHECKING:
    from ergod.daemon.barview import Reading
    from ergod.daemon.protocol import Request

Handler = Callable[["Request"], Mapping[str, object]]

_BUTTONS = {"snooze": EventKind.SNOOZE, "skip": EventKind.SKIP}


class Runtime:
    """The engine thread's jobs over the parts; see the module docstring."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._clock = parts.clocks.engine
        self.request: Handler | None = None

    def start(self) -> None:
        """Start the parts' threads, each with a callback that posts a job."""
        p = self.parts
        post = p.loop.post
        p.recorder.start(self._clock())
        p.sessions.start(lambda event, t: post(lambda: self.session(event, t)))
        p.wakeups.start(lambda: post(self.tick))
        p.clocks.steps.start(self._clock_stepped)
        self._schedule_config_jobs()
        # A source that sees its own end (a compositor exits) says so at once:
        # asking it for the idle time then finds the failure.
        p.link.start(lambda t: post(lambda: self.returned(t)), lambda: post(self._ask_source))
        p.sink.on_action(self._on_button)
        self._configure_panel()
        post(self.tick)

    def _ask_source(self) -> None:
        """The source reported its end: asking it switches to schedule-only mode."""
        self.parts.link.idle()

    def _configure_panel(self) -> None:
        """The tray icon as `[tray] enabled` says (at start and at reload)."""
        from ergod.tray.actions import TrayHost, open_week_summary

        p = self.parts
        post, env, request = p.loop.post, p.env, self.request
        if request is None:
            return  # no control handler: an in-process test without the socket
        host = TrayHost(
            request=request,
            show_exercise=lambda ident: post(lambda: self.show_card(ident)),
            open_summary=lambda: open_week_summary(
                env.daemon_dir, p.settings.extra, env.environ, p.log
            ),
            refresh=lambda: post(lambda: None),
        )
        p.panel.configure(p.settings, host, env.environ)

    def show_card(self, ident: str) -> None:
        """The tray's Exercises menu: one card as a notification."""
        from ergod.exercises.library import UnknownExerciseError, render_card
        from ergod.notify.base import Message

        settings = self.parts.settings
        try:
            title, body = render_card(settings.library.get(ident, translate=True))
        except UnknownExerciseError:
            return
        self.parts.sink.notice(
            Message(title=title, body=body, timeout=settings.config.notify.timeout)
        )

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
        elif key == HURTS:
            self.parts.loop.post(lambda: self.hurts(t))

    # ---- jobs ----------------------------------------------------------

    def tick(self) -> None:
        p = self.parts
        self.apply(p.link.check_suspend())
        t = self._clock()
        p.link.retry(t)
        # Every tick asks the probes (ticks come only at the one-shot): a call
        # that began without input must reach the engine as attend_start before
        # the absence it would otherwise be.
        self._quiet_changed(t, p.quiet.update(t, ask_probes=True))
        self.apply(p.link.tick(t))

    def returned(self, t: float) -> None:
        self.apply(self.parts.link.returned(t))

    def session(self, event: SessionEvent, t: float) -> None:
        p = self.parts
        kind = EventKind(event.value)
        self.apply(p.link.event(t, kind))
        if kind in (EventKind.LOCK, EventKind.SLEEP):
            p.quiet.session_ended()  # the engine ended attended time itself
        elif kind in (EventKind.UNLOCK, EventKind.WAKE):
            # A call still on after the unlock is attended time again.
            self._quiet_changed(t, p.quiet.update(t, ask_probes=True))

    def user_event(self, kind: EventKind, t: float, *, snooze: float | None = None) -> None:
        self.apply(self.parts.link.event(t, kind, snooze=snooze))

    def hurts(self, t: float) -> None:
        """ "This hurts" on the prompt: switch its exercise off (`config set`, which
        makes this daemon reload), skip the open break, show the red-flag tiers."""
        from ergod.config.exercise_off import switch_off
        from ergod.notify.prompt import hurt_message

        p = self.parts
        exercise = p.sink.shown_exercise
        # Not over the control socket: this thread serves it, and would wait for itself.
        outcome = switch_off(p.env, exercise, reload=False)
        if outcome.problem is not None:
            p.log.warning("This hurts: nothing switched off: %s", outcome.problem)
        else:
            p.log.info("This hurts: %s switched off", ", ".join(outcome.switched_off) or exercise)
            if outcome.switched_off:
                self.reload_quietly()
        if p.link.engine.open_kind() is not None:
            self.user_event(EventKind.SKIP, t)  # withdraws the prompt before the notice
        p.sink.notice(hurt_message(*outcome.notice()))

    def pause(self, seconds: float | None) -> None:
        """Pause for `seconds` (None: until resumed), within policy's `[quiet] max_pause`."""
        from ergod.core.quiet import bounded_pause

        t = self._clock()
        grant = bounded_pause(seconds, self.parts.settings.config.quiet.max_pause)
        self._quiet_changed(t, self.parts.quiet.pause(t, grant.seconds))

    def resume(self) -> bool:
        """End a pause; whether there was one."""
        t = self._clock()
        was, events = self.parts.quiet.resume(t)
        self._quiet_changed(t, events)
        return was

    def apply(self, effects: Iterable[Effect]) -> None:
        """Effects into the world; after a prompt, its open break goes to the
        store as pending at once (a stop or crash then leaves it counted)."""
        p = self.parts
        batch = list(effects)
        p.sink.apply(batch, p.settings.wording(p.link.engine.rules))
        if any(isinstance(effect, ShowPrompt) for effect in batch):
            p.recorder.breaks_open(p.link.engine.pending_records())

    def _quiet_changed(self, t: float, events: list[EventKind]) -> None:
        for event in events:
            self.apply(self.parts.link.event(t, event))

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
        config = loaded.config
        probes = build_probes(config.quiet, p.env.environ, p.log, activity=config.activity)
        p.quiet.reconfigure(config.schedule, probes)
        p.recorder.set_retention(config.store.retention)
        p.daily.limit = config.sitting.daily_limit
        self._schedule_config_jobs()
        self._configure_panel()
        self.apply(p.link.engine.reconfigure(self._clock(), rules))
        p.link.configure(p.settings.source_settings())
        p.recorder.reloaded(self._clock())
        p.log.info("configuration reloaded")
        return "configuration reloaded"

    def reload_quietly(self) -> None:
        """SIGHUP: reload; a refusal is logged by `reload` and changes nothing."""
        with contextlib.suppress(ErgodError):
            self.reload()

    def weekly_notice(self) -> None:
        """The week's headline numbers, at `[summary] notify`."""
        from ergod.notify.prompt import weekly_message
        from ergod.store import StoreError
        from ergod.summary.query import headline_for

        p = self.parts
        now = p.wakeups.local_now()
        try:
            headline = headline_for(p.recorder.path, now.date(), now.tzinfo)
        except StoreError as exc:
            p.log.warning("weekly summary skipped: %s", exc.message)
            return
        if headline is None:
            return
        title, body = headline
        p.sink.notice(weekly_message(title, body, p.settings.config.notify.timeout))

    def _schedule_config_jobs(self) -> None:
        """The jobs the configuration sets: the weekly summary notice and the
        opt-in metrics textfile (on the scheduler thread: it only reads the store)."""
        p = self.parts
        config = p.settings.config
        post = p.loop.post
        p.wakeups.weekly("summary", config.summary.notify, lambda: post(self.weekly_notice))
        interval = p.metrics.configure(config)
        p.wakeups.every("metrics", interval, p.metrics.refresh, now=True)

    # ---- after every job -------------------------------------------------

    def sync(self) -> None:
        """Health, the return watch, the daily limit, and the next one-shot."""
        p = self.parts
        t = self._clock()
        p.sessions.check(t)
        self.apply(p.link.sync())
        if p.link.mode != "schedule-only":
            p.daily.check(t, p.link.engine.last_input)
        minute = p.panel.publish(self._reading(t))
        checks = (
            p.link.wakeup_at(),
            p.quiet.next_check(t),
            p.link.retry_at,
            p.sessions.retry_at,
            minute,
        )
        moments = [m for m in checks if m is not None]
        p.wakeups.place(min(moments) if moments else None)

    def _reading(self, t: float) -> Reading:
        """What a panel shows at `t` (`ergod.daemon.barview`)."""
        from ergod.daemon.barview import glance_at

        p = self.parts
        engine = p.link.engine
        paused = p.quiet.paused_until
        until = None
        if paused is not None and paused != float("inf"):
            local = p.wakeups.local(paused)
            same_day = local.date() == p.wakeups.local_now().date()
            until = local.strftime("%H:%M" if same_day else "%a %H:%M")
        return glance_at(
            engine.view(t),
            engine.rules,
            reasons=p.quiet.reasons(t),
            paused_until=until,
            mode=p.link.mode,
            source=p.link.choice.name,
        )
