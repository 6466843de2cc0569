"""The control API: what each control request does, and the typed status view.

`ControlApi.answer(request)` runs on the engine thread (the control socket's
threads post it there and wait) and returns the reply's `result` object, or
raises `ControlError` with a message for the user. Messages and errors are
in the language the request asks for (`Request.language`: the `ergod`
command's), else in the daemon's.

`StatusView` is what `ergod status --json` prints: a frozen dataclass whose
fields are exactly the keys docs/control.md lists (a test holds the three
together). `to_json()` is the wire form.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial

from ergod import __version__
from ergod.core import EventKind
from ergod.core.engine import EngineView
from ergod.daemon.barview import break_name
from ergod.daemon.protocol import Command, ControlError, Request
from ergod.daemon.runtime import Runtime
from ergod.durations import human_duration
from ergod.errors import ErgodError
from ergod.i18n import N_, Language, _, speaking

Words = Callable[[], AbstractContextManager[Language]]
"""Enters the language an answer is wanted in (`ergod.i18n.speaking`)."""


@dataclass(frozen=True)
class SourceView:
    name: str
    protocol: str
    mode: str
    tried: tuple[tuple[str, str], ...]
    advice: str
    why: str


@dataclass(frozen=True)
class OpenBreakView:
    kind: str
    since_seconds: float
    prompts: int
    snoozes: int


@dataclass(frozen=True)
class NextView:
    kind: str
    in_seconds: float


@dataclass(frozen=True)
class OutcomeCount:
    kind: str
    outcome: str
    count: int


@dataclass(frozen=True)
class DailyLimitView:
    limit_seconds: float
    active_seconds: float | None
    reached_at: str | None


@dataclass(frozen=True)
class StatusView:
    """`ergod status --json`; the fields are the documented keys, in order."""

    pid: int
    version: str
    uptime_seconds: float
    source: SourceView
    notifier: str
    sitting_seconds: float | None
    idle_seconds: float | None
    locked: bool
    paused_until: str | None
    quiet: tuple[str, ...]
    attended: tuple[str, ...]
    open_break: OpenBreakView | None
    next: NextView | None
    today: tuple[OutcomeCount, ...]
    daily_limit: DailyLimitView | None
    rss_bytes: int
    cpu_seconds: float
    config_files: tuple[str, ...]
    store: str
    weekly_summary_at: str | None
    system_dir: str | None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class ControlApi:
    """Answers control requests on the engine thread."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._parts = runtime.parts
        self._clock = runtime.parts.clocks.engine

    def answer(self, request: Request) -> dict[str, object]:
        """The reply's `result`; messages and errors in `request.language`
        (the daemon's own when empty), built only after the work is done, so
        what the work shows (the tray) stays in the daemon's language."""
        runtime = self._runtime
        command = request.command
        if command is Command.STATUS:
            return self.status().to_json()
        words = partial(speaking, request.language, self._parts.env.environ)
        if command is Command.PAUSE:
            runtime.pause(request.seconds)
            with words():
                if request.seconds is None:
                    return {"message": _("paused until you run `ergod resume`")}
                return {
                    "message": _("paused for {duration}").format(
                        duration=human_duration(request.seconds)
                    )
                }
        if command is Command.RESUME:
            resumed = runtime.resume()
            with words():
                return {"message": _("resumed") if resumed else _("was not paused")}
        if command is Command.SNOOZE:
            return {"message": self._snooze(request.seconds, words)}
        if command is Command.SKIP:
            kind = self._open_kind(N_("nothing to skip: no break is open"), words)
            runtime.user_event(EventKind.SKIP, self._clock())
            with words():
                return {"message": _("{name} skipped").format(name=break_name(kind))}
        try:
            runtime.reload()
        except ErgodError as exc:
            with words():
                refused = _("reload refused, the last good configuration stays:")
            raise ControlError(f"{refused}\n{exc.message}") from None
        with words():
            return {"message": _("configuration reloaded")}

    def _open_kind(self, nothing: str, words: Words) -> str:
        kind = self._parts.link.engine.open_kind()
        if kind is None:
            with words():
                raise ControlError(_(nothing))
        return kind.value

    def _snoozes(self) -> int:
        view = self._parts.link.engine.view(self._clock())
        return sum(kv.snoozes for kv in view.kinds)

    def _snooze(self, seconds: float | None, words: Words) -> str:
        """Snooze the open break by `seconds` (None: its kind's `snooze`)."""
        kind = self._open_kind(N_("nothing to snooze: no break is open"), words)
        key = f"breaks.{kind}.snooze"
        bound = self._parts.settings.loaded.bounds.get(key)
        if seconds is not None and bound is not None and not bound.allows(seconds):
            with words():
                raise ControlError(
                    _(
                        "a snooze of {duration} is outside the bounds {bounds} "
                        "that policy {file} sets on {key}"
                    ).format(
                        duration=human_duration(seconds),
                        bounds=bound.text,
                        file=bound.file,
                        key=key,
                    )
                )
        before = self._snoozes()
        self._runtime.user_event(EventKind.SNOOZE, self._clock(), snooze=seconds)
        with words():
            name = break_name(kind)
            if self._snoozes() == before:
                raise ControlError(_("the {name} cannot be snoozed again").format(name=name))
            if seconds is None:
                return _("{name} snoozed").format(name=name)
            return _("{name} snoozed for {duration}").format(
                name=name, duration=human_duration(seconds)
            )

    def status(self) -> StatusView:
        """What `ergod status` shows (engine thread only)."""
        import psutil

        p = self._parts
        t = self._clock()
        engine = p.link.engine
        view = engine.view(t)
        # Asking the source first: a failure found now switches the mode below.
        idle = p.link.idle() if p.link.mode != "schedule-only" else None
        choice = p.link.choice
        me = psutil.Process()
        return StatusView(
            pid=os.getpid(),
            version=__version__,
            uptime_seconds=t - p.started,
            source=SourceView(
                choice.name, choice.protocol, p.link.mode, choice.tried, choice.advice, choice.why
            ),
            notifier=", ".join(p.sink.chain),
            sitting_seconds=None if view.sitting_since is None else t - view.sitting_since,
            idle_seconds=idle,
            locked=view.locked,
            paused_until=self._paused_until(),
            quiet=p.quiet.reasons(t),
            attended=p.quiet.attended_reasons(),
            open_break=_open_break(view, t),
            next=_next(view, t),
            today=tuple(OutcomeCount(*row) for row in p.sink.outcomes()),
            daily_limit=self._daily(t),
            rss_bytes=me.memory_info().rss,
            cpu_seconds=sum(me.cpu_times()[:2]),
            config_files=tuple(p.settings.files),
            store=p.sink.store_status,
            weekly_summary_at=_minutes(p.wakeups.next_run("summary")),
            system_dir=p.env.system_dir_note(),
        )

    def _paused_until(self) -> str | None:
        paused = self._parts.quiet.paused_until
        if paused == float("inf"):
            return "indefinitely"
        if paused is None:
            return None
        return self._parts.wakeups.local(paused).isoformat(timespec="minutes")

    def _daily(self, t: float) -> DailyLimitView | None:
        p = self._parts
        measuring = p.link.mode != "schedule-only"
        view = p.daily.view(t, p.link.engine.last_input, measuring=measuring)
        if view is None:
            return None
        reached = None if view.reached_at is None else p.wakeups.local(view.reached_at)
        return DailyLimitView(view.limit, view.active, _minutes(reached))


def _open_break(view: EngineView, t: float) -> OpenBreakView | None:
    for kv in view.kinds:
        if kv.open_since is not None:
            return OpenBreakView(kv.kind.value, t - kv.open_since, kv.prompts, kv.snoozes)
    return None


def _next(view: EngineView, t: float) -> NextView | None:
    upcoming = []
    for kv in view.kinds:
        moment = kv.next_due if kv.next_due is not None else kv.next_prompt
        if moment is not None:
            upcoming.append((moment, kv.kind.value))
    if not upcoming:
        return None
    moment, kind = min(upcoming)
    return NextView(kind, max(0.0, moment - t))


def _minutes(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="minutes")
