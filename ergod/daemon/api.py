"""The control API: what each control request does, and the typed status view.

`ControlApi.answer(request)` runs on the engine thread (the control socket's
threads post it there and wait) and returns the reply's `result` object, or
raises `ControlError` with a message for the user.

`StatusView` is what `ergod status --json` prints: a frozen dataclass whose
fields are exactly the keys docs/control.md lists (a test holds the three
together). `to_json()` is the wire form.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime

from ergod import __version__
from ergod.core import EventKind
from ergod.core.engine import EngineView
from ergod.daemon.protocol import Command, ControlError, Request
from ergod.daemon.runtime import Runtime
from ergod.durations import format_duration, human_duration
from ergod.errors import ErgodError


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
        runtime = self._runtime
        command = request.command
        if command is Command.STATUS:
            return self.status().to_json()
        if command is Command.PAUSE:
            runtime.pause(request.seconds)
            if request.seconds is None:
                return {"message": "paused until you run `ergod resume`"}
            return {"message": f"paused for {human_duration(request.seconds)}"}
        if command is Command.RESUME:
            return {"message": "resumed" if runtime.resume() else "was not paused"}
        if command is Command.SNOOZE:
            return {"message": self._snooze(request.seconds)}
        if command is Command.SKIP:
            kind = self._open_kind("skip")
            runtime.user_event(EventKind.SKIP, self._clock())
            return {"message": f"{kind} break skipped"}
        try:
            return {"message": runtime.reload()}
        except ErgodError as exc:
            raise ControlError(
                f"reload refused, the last good configuration stays:\n{exc.message}"
            ) from None

    def _open_kind(self, command: str) -> str:
        kind = self._parts.link.engine.open_kind()
        if kind is None:
            raise ControlError(f"nothing to {command}: no break is open")
        return kind.value

    def _snoozes(self) -> int:
        view = self._parts.link.engine.view(self._clock())
        return sum(kv.snoozes for kv in view.kinds)

    def _snooze(self, seconds: float | None) -> str:
        """Snooze the open break by `seconds` (None: its kind's `snooze`)."""
        kind = self._open_kind("snooze")
        key = f"breaks.{kind}.snooze"
        bound = self._parts.settings.loaded.bounds.get(key)
        if seconds is not None and bound is not None and not bound.allows(seconds):
            raise ControlError(
                f"a snooze of {format_duration(seconds)} is outside the bounds {bound.text} "
                f"that policy {bound.file} sets on {key}"
            )
        before = self._snoozes()
        self._runtime.user_event(EventKind.SNOOZE, self._clock(), snooze=seconds)
        if self._snoozes() == before:
            raise ControlError(f"the {kind} break cannot be snoozed again")
        if seconds is None:
            return f"{kind} break snoozed"
        return f"{kind} break snoozed for {format_duration(seconds)}"

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
