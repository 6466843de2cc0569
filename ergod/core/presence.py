"""Idle-first driving: the engine fed by idle-time answers, not by every input.

An activity source that reports every keyboard and mouse event costs CPU in
proportion to the input rate. The engine needs far less: an absence shorter
than `Rules.watch_threshold` changes no outcome, so it is enough to know

* the last input before every absence that reaches the threshold (asked of
  the platform's idle counter at `last input + threshold`, and before every
  moment the engine evaluates or event it applies), and
* the exact moment the user comes back (one event, from a one-shot watch).

The check runs `LEAD` (1 ms, the X server's idle resolution) before the
threshold: a check exactly at `last + threshold` that sees a fresh input
could not tell "active all along" from "away exactly the threshold".
Between checks every absence is shorter than the threshold, so an input
inferred after a late check never stands for a long absence: the unseen
stretch is filled in as presence.

`Presence` is that protocol as a pure object. The daemon calls `tick()` at
`wakeup_at()` and before each session or user event with the idle time the
source reports, calls `returned()` when the return watch fires, and keeps the
source's watch armed exactly while `wants_watch` is true. Fed this way the
engine produces the same bouts and break records as if it had seen every
input (tests/test_presence.py replays traces both ways).

In attended time (between `attend_start` and `attend_end`, spec section 6)
the user counts as present at every moment and inputs change nothing, so
`Presence` asks no idle question and wants no return watch; `attend_end` (or a
lock or sleep) acts as an input, and the absence after it is watched as usual.

With no activity source at all (schedule-only mode), pass `idle=0.0`: the
user counts as always present, which is Stretchly's model.
"""

from __future__ import annotations

from ergod.core.engine import Engine
from ergod.core.model import Effect, EventKind

LEAD = 0.001


class Presence:
    """Drives one Engine from idle-time answers. Not thread-safe: one owner."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._now: float | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def threshold(self) -> float:
        return self._engine.rules.watch_threshold

    @property
    def _check_after(self) -> float:
        """How long after the last input the presence check runs."""
        return self.threshold - min(LEAD, self.threshold / 2)

    @property
    def wants_watch(self) -> bool:
        """True while an absence of at least the threshold is in progress
        (or before the first input): the return watch should be armed."""
        if self._engine.blocked or self._engine.attended:
            return False
        last = self._engine.last_input
        if last is None:
            return True
        now = self._now if self._now is not None else last
        # The same sum as the wake-up in `wakeup_at`, so the two always agree.
        return now >= last + self._check_after

    def wakeup_at(self) -> float | None:
        """When the driver must next call `tick()`."""
        moments = []
        due = self._engine.next_wakeup()
        if due is not None:
            moments.append(due)
        last = self._engine.last_input
        asking = not (self._engine.blocked or self._engine.attended or self.wants_watch)
        if last is not None and asking:
            moments.append(last + self._check_after)
        return min(moments) if moments else None

    def tick(self, t: float, idle: float | None) -> list[Effect]:
        """Time `t` has come; the platform says the user has been idle `idle` s.

        `idle=None` means no answer (the source failed): time passes, no input
        is inferred.
        """
        out = self._infer_input(t, idle)
        out += self._engine.advance(t)
        self._now = t
        return out

    def returned(self, t: float) -> list[Effect]:
        """The return watch fired: an input at `t`."""
        t = self._not_before_now(t)
        out = self._engine.handle(t, (EventKind.INPUT,))
        self._now = t
        return out

    def event(self, t: float, kind: EventKind, idle: float | None) -> list[Effect]:
        """A non-input event (lock, snooze, quiet_start, ...) at `t`."""
        t = self._not_before_now(t)
        out = self._infer_input(t, idle)
        out += self._engine.handle(t, (kind,))
        self._now = t
        return out

    def _not_before_now(self, t: float) -> float:
        # A report from another thread can carry a time just before a tick the
        # engine already evaluated; the engine's clock never goes back.
        return t if self._now is None else max(t, self._now)

    def _infer_input(self, t: float, idle: float | None) -> list[Effect]:
        if idle is None or self._engine.attended:
            return []  # no answer; or attended, where inputs change nothing
        last_seen = t - max(0.0, idle)
        last = self._engine.last_input
        if last is not None and last_seen <= last:
            return []
        if last is None and idle >= self.threshold:
            # Activity from before we were watching (e.g. before login):
            # the first input we count is the return.
            return []
        if self.wants_watch and last is not None:
            # The watch is armed, so an input since `last` would have been
            # reported by `returned()`; the counter saw only input we drop
            # (while locked), or the watch fired late. Trust the watch.
            return []
        out: list[Effect] = []
        if last is not None:
            # Not watching means every absence since `last` was short; a late
            # check must not turn that unseen activity into one long gap.
            cursor = last
            while last_seen - cursor >= self.threshold:
                cursor += self._check_after
                if self._now is not None:
                    cursor = max(cursor, self._now)
                out += self._engine.handle(cursor, (EventKind.INPUT,))
        stamp = min(last_seen, t)
        if self._now is not None:
            stamp = max(stamp, self._now)
        return out + self._engine.handle(stamp, (EventKind.INPUT,))
