"""The activity link: the activity source, the idle-first driver, and trying again.

`ActivityLink` owns the engine's `Presence` driver and the `SourceChoice`
made at start. It answers the engine's questions about the user:

* `idle()` asks the source (0.0 in schedule-only mode: always present; None
  when the source failed or, after a resume, cannot be trusted yet: the
  platform idle counter may not span the suspend);
* `sync()` arms the source's one-shot return watch exactly while `Presence`
  wants it, and in schedule-only mode counts the user as back at once;
* `check_suspend()` reads the clocks and turns a suspend that no logind
  signal announced into SLEEP and WAKE events.

When the source breaks (X died, a listener would not start) the link says so
once, goes on in schedule-only mode, and tries the configured source again at
waits that double (`Backoff`); so does a start that found no source at all.

Activity spans for the adherence log go to `spans`: a span opens when the user
is present after a return (or input seen at start) and closes when an absence
reaches the engine's watch threshold.

Threading contract: engine thread only, except that the source calls the
`on_return(t)` given to `start` from its own thread (the daemon posts a job
from there).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from ergod.activity import SourceChoice, configure, on_failure
from ergod.activity.base import ActivitySource, Clock, SourceSettings, SourceUnavailable
from ergod.activity.suspend import ClockReading, SuspendDetector
from ergod.core import Effect, Engine, EventKind
from ergod.core.presence import Presence
from ergod.daemon.backoff import Backoff

REPROBE_AFTER_FAILURE = 60.0
"""After the activity source broke, the first wait (s) before trying it again."""
REPROBE_NONE_FOUND = 300.0
"""With no source found at start (e.g. started before the desktop), the first wait (s)."""
REPROBE_LONGEST = 1800.0
"""The longest wait (s) between two attempts."""

Select = Callable[[], SourceChoice]
"""Probes the configured source again; raises SourceUnavailable if it cannot work."""


class SpanListener(Protocol):
    """Hears when activity resumes and when an absence reaches the threshold."""

    def activity_resumed(self, last_input: float) -> None: ...

    def absence_began(self, last_input: float | None) -> None: ...


class ActivityLink:
    """The source, `Presence` and the return watch; see the module docstring."""

    def __init__(
        self,
        presence: Presence,
        choice: SourceChoice,
        select: Select,
        *,
        clock: Clock,
        read_clocks: Callable[[], ClockReading],
        spans: SpanListener,
        log: logging.Logger,
        first_wait: Callable[[float], float] = lambda default: default,
    ) -> None:
        self._presence = presence
        self._choice = choice
        self._select = select
        self._clock = clock
        self._read_clocks = read_clocks
        self._on_return: Callable[[float], None] = lambda t: None
        self._on_failure: Callable[[], None] = lambda: None
        self._spans = spans
        self._log = log
        self._first_wait = first_wait
        self._armed = False
        self._distrust_idle = False
        self._suspend = SuspendDetector()
        self._suspend.observe(read_clocks())
        self._retry = Backoff(first_wait(REPROBE_AFTER_FAILURE), REPROBE_LONGEST)
        # A configured source that found nothing: look again now and then.
        self._wanted = choice.source is not None or bool(choice.tried)

    @property
    def presence(self) -> Presence:
        return self._presence

    @property
    def engine(self) -> Engine:
        return self._presence.engine

    @property
    def choice(self) -> SourceChoice:
        return self._choice

    @property
    def mode(self) -> str:
        """`idle-first`, `listener` (pynput) or `schedule-only`."""
        if self._choice.source is None:
            return "schedule-only"
        return "listener" if self._choice.name == "pynput" else "idle-first"

    @property
    def retry_at(self) -> float | None:
        """When the configured source is tried again, if it is not working."""
        return self._retry.due

    def start(
        self, on_return: Callable[[float], None], on_failure: Callable[[], None] = lambda: None
    ) -> None:
        """Start the chosen source; a failure falls back to schedule-only mode.

        `on_return(t)` is the return watch's callback (from the source's thread);
        `on_failure()` is called from the source's thread by a source that sees
        its own end (a compositor that exits): the daemon then posts a job that
        asks the source (`idle`), so the failure is noticed at once rather than
        at the next wake-up, maybe hours on.
        """
        self._on_return = on_return
        self._on_failure = on_failure
        source = self._choice.source
        if source is None:
            if self._wanted:
                self._retry = Backoff(self._first_wait(REPROBE_NONE_FOUND), REPROBE_LONGEST)
                self._retry.arm(self._clock())
            return
        try:
            self._start_source(source)
        except SourceUnavailable as exc:
            self._failed(exc)

    def _start_source(self, source: ActivitySource) -> None:
        on_failure(source, self._on_failure)
        source.start()

    def configure(self, settings: SourceSettings) -> None:
        """New settings for the running source (after a reload)."""
        configure(self._choice.source, settings)

    def stop(self) -> None:
        if self._choice.source is not None:
            self._choice.source.stop()

    def idle(self) -> float | None:
        source = self._choice.source
        if source is None:
            return 0.0  # schedule-only mode: always present
        if self._distrust_idle:
            return None
        try:
            return source.idle_seconds()
        except SourceUnavailable as exc:
            self._failed(exc)
            return None

    # ---- events into the engine ------------------------------------------

    def check_suspend(self) -> list[Effect]:
        """SLEEP and WAKE for a suspend seen only in the clocks (no logind signal)."""
        suspend = self._suspend.observe(self._read_clocks())
        if suspend is None:
            return []
        self._log.info("resumed after %.0f s asleep", suspend.length)
        out = self._presence.event(suspend.start, EventKind.SLEEP, None)
        out += self._presence.event(suspend.end, EventKind.WAKE, None)
        self._distrust_idle = True
        return out

    def tick(self, t: float) -> list[Effect]:
        out = self._presence.tick(t, self.idle())
        self._resumed()
        return out

    def returned(self, t: float) -> list[Effect]:
        """The return watch fired at `t`."""
        self._armed = False
        self._distrust_idle = False
        out = self._presence.returned(t)
        self._resumed()
        return out

    def event(self, t: float, kind: EventKind, *, snooze: float | None = None) -> list[Effect]:
        """A session, quiet-time or user event at `t`."""
        if kind is EventKind.WAKE:
            self._distrust_idle = True  # the idle counter may not span the sleep
        idle = None if kind is EventKind.WAKE else self.idle()
        return self._presence.event(t, kind, idle, snooze=snooze)

    def _resumed(self) -> None:
        """After a return or a tick: is activity going on?"""
        last = self.engine.last_input
        if last is not None and not self._presence.wants_watch and not self.engine.blocked:
            self._spans.activity_resumed(last)

    # ---- the return watch and the source's health --------------------------

    def sync(self) -> list[Effect]:
        """Arm or cancel the return watch to match `Presence.wants_watch`."""
        while True:
            source = self._choice.source
            want = self._presence.wants_watch
            if source is None:
                # Schedule-only mode has no return watch to wait for (after a
                # wake, an unlock, at start): the user counts as back now.
                return self._presence.returned(self._clock()) if want else []
            if want and not self._armed:
                self._spans.absence_began(self.engine.last_input)
                try:
                    source.watch_return(self._on_return)
                    self._armed = True
                except SourceUnavailable as exc:
                    self._failed(exc)
                    continue
            elif not want and self._armed:
                source.cancel_watch()
                self._armed = False
            return []

    def wakeup_at(self) -> float | None:
        """When the engine (or, with a source, `Presence`) must next be ticked."""
        if self._choice.source is None:
            return self.engine.next_wakeup()
        return self._presence.wakeup_at()

    def retry(self, t: float) -> None:
        """At `retry_at`: is the configured source back?"""
        if not self._retry.ready(t):
            return
        try:
            choice = self._select()
            if choice.source is not None:
                self._start_source(choice.source)
        except SourceUnavailable:
            choice = SourceChoice(None, "none")
        if choice.source is None:
            self._retry.failed(t)
            return
        self._retry.done()
        self._choice = choice
        self._armed = False
        self._distrust_idle = False
        self._log.info("activity source %s works again; measuring sitting time", choice.name)

    def _failed(self, exc: Exception) -> None:
        """The source broke: say so once and carry on in schedule-only mode."""
        choice = self._choice
        if choice.source is None:
            return
        self._log.warning(
            "activity source %s failed (%s); reminders now follow the clock "
            "(schedule-only mode) until it works again (ergod tries every %.0f s)",
            choice.name,
            exc,
            self._first_wait(REPROBE_AFTER_FAILURE),
        )
        with contextlib.suppress(Exception):
            choice.source.stop()
        self._armed = False
        tried = (*choice.tried, (choice.name, str(exc)))
        self._choice = SourceChoice(None, "none", tried, choice.advice)
        self._retry = Backoff(self._first_wait(REPROBE_AFTER_FAILURE), REPROBE_LONGEST)
        self._retry.arm(self._clock())
