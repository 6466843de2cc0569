"""When the daemon wakes: one scheduler thread on the engine's clock.

`Wakeups` keeps a few named jobs and one thread that sleeps until the
earliest is due, runs it, and sleeps again; with no job due it sleeps until a
job is added. Nothing polls.

* `place(moment)`: the one one-shot (`"wake"`) at a moment on the engine's
  clock (CLOCK_BOOTTIME in the daemon), the earliest of everything the
  engine and the parts want next; the daemon places it anew after every job.
* `every(job_id, seconds, func)`: a periodic job (the metrics textfile).
* `weekly(job_id, (weekday, minute), func)`: a job at a local wall time each
  week (the summary notice), in the local zone read afresh (`tzlocal`, when
  TZ or a zone file changed: `local_zone`), so DST and a time-zone change are
  followed; `clock_stepped()` recomputes it
  after the wall clock was set (`ergod.daemon.steps` says when).
* `local(t)` / `local_now()`: engine moments as aware local times.

Jobs run on the scheduler's thread and must be short: a job that touches
engine state only posts work to the engine thread. A job due while the thread
was busy or the machine asleep runs once, late, never twice (coalescing).

The thread waits with `threading.Condition.wait`, which counts CLOCK_MONOTONIC
and so stops during a suspend: after a resume the wait ends late, but logind's
wake signal, the timerfd's cancel on resume and the first job after it all
make the daemon place the one-shot again, and a moment already past runs at
once. (It replaces APScheduler 3, whose import alone cost the daemon 9 MiB of
its 37 MiB at rest: asyncio, multiprocessing, and every installed package's
metadata for its plugin entry points.)

Threading contract: `place`, `weekly`, `every`, `remove` and `clock_stepped`
may be called from any thread; `start` and `shutdown` from the main thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from ergod.activity.base import Clock

WallClock = Callable[[], datetime]
WAKE = "wake"
_STOP_JOIN = 2.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


_ZONE_FILES = ("/etc/localtime", "/etc/timezone")
_ZONE_MAX_AGE = 60.0  # seconds: where no zone file says a change (Windows)
_zone_lock = threading.Lock()
_zone: tuple[object, float, tzinfo] | None = None  # (what it was read from, when, zone)


def _zone_key() -> object:
    """What the local zone is read from: TZ and the zone files' identities."""
    files: list[tuple[int, int, int, int] | None] = []
    for name in _ZONE_FILES:
        try:
            info, target = os.lstat(name), os.stat(name)
        except OSError:
            files.append(None)
            continue
        files.append((info.st_ino, info.st_mtime_ns, target.st_ino, target.st_mtime_ns))
    return os.environ.get("TZ"), tuple(files)


def local_zone() -> tzinfo:
    """The local zone as the system says now (TZ, /etc/localtime).

    tzlocal reads it afresh (about 1 ms: it walks the zone files and tries
    each path as a zone name), so the answer is kept until TZ or a zone file
    changes (a stat each, a few microseconds), or for a minute at most. The
    daemon asks on every job and for every record it writes."""
    global _zone
    key, now = _zone_key(), time.monotonic()
    with _zone_lock:
        if _zone is not None and _zone[0] == key and now - _zone[1] < _ZONE_MAX_AGE:
            return _zone[2]
    from tzlocal import reload_localzone

    zone = reload_localzone()
    with _zone_lock:
        _zone = (key, now, zone)
    return zone


@dataclass
class _Job:
    func: Callable[[], object]
    due: float  # on the engine's clock
    every: float | None = None  # periodic
    weekly: tuple[int, int] | None = None  # (weekday, minute of day), local time


class Wakeups:
    """The daemon's scheduler, and its engine-clock / local-time bridge."""

    def __init__(self, clock: Clock, wall: WallClock) -> None:
        self._clock = clock
        self._wall = wall
        self._jobs: dict[str, _Job] = {}
        self._fire: Callable[[], None] = lambda: None
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self, fire: Callable[[], None]) -> None:
        """Start the thread; `fire` runs on it at each one-shot."""
        self._fire = fire
        self._thread = threading.Thread(target=self._run, name="ergod-wakeups", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(_STOP_JOIN)

    # ---- time --------------------------------------------------------------

    def local(self, t: float) -> datetime:
        """A moment on the engine's clock as an aware local time."""
        wall = self._wall() + timedelta(seconds=t - self._clock())
        return wall.astimezone(local_zone())

    def local_now(self) -> datetime:
        return self._wall().astimezone(local_zone())

    def _engine_moment(self, local: datetime) -> float:
        """A local wall time as a moment on the engine's clock."""
        return self._clock() + (local - self._wall()).total_seconds()

    # ---- jobs --------------------------------------------------------------

    def place(self, moment: float | None) -> None:
        """The one one-shot: at `moment` on the engine's clock, or none."""
        if moment is None:
            self.remove(WAKE)
            return
        with self._changed:
            job = self._jobs.get(WAKE)
            if job is not None and job.due == moment:
                return  # placed again after every job: nothing to wake for
            self._jobs[WAKE] = _Job(self._fired, moment)
            self._changed.notify()

    def _fired(self) -> None:
        self._fire()

    def weekly(self, job_id: str, when: tuple[int, int] | None, func: Callable[[], None]) -> None:
        """`func` every week at (weekday, minute of day) local time; None removes it."""
        if when is None:
            self.remove(job_id)
            return
        self._add(job_id, _Job(func, self._next_weekly(when), weekly=when))

    def every(
        self, job_id: str, seconds: float | None, func: Callable[[], object], *, now: bool = False
    ) -> None:
        """`func` every `seconds` (first run at once if `now`); None removes it."""
        if seconds is None:
            self.remove(job_id)
            return
        first = self._clock() if now else self._clock() + seconds
        self._add(job_id, _Job(func, first, every=seconds))

    def remove(self, job_id: str) -> None:
        with self._changed:
            if self._jobs.pop(job_id, None) is not None:
                self._changed.notify()

    def next_run(self, job_id: str) -> datetime | None:
        """When `job_id` runs next, as a local time; None if there is no such job."""
        with self._changed:
            job = self._jobs.get(job_id)
            due = None if job is None else job.due
        return None if due is None else self.local(due)

    def clock_stepped(self) -> None:
        """The wall clock was set: weekly jobs are due at other engine moments now."""
        with self._changed:
            for job in self._jobs.values():
                if job.weekly is not None:
                    job.due = self._next_weekly(job.weekly)
            self._changed.notify()

    def _add(self, job_id: str, job: _Job) -> None:
        with self._changed:
            self._jobs[job_id] = job
            self._changed.notify()

    def _next_weekly(self, when: tuple[int, int]) -> float:
        """The next (weekday, minute) in the local zone, as an engine moment."""
        weekday, minute = when
        local = self.local_now()
        zone = local.tzinfo
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            if day.weekday() != weekday:
                continue
            at = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
            # Through UTC: a time in a DST gap or fold resolves the PEP 495 way.
            at = at.astimezone(timezone.utc).astimezone(zone)
            if at > local:
                return self._engine_moment(at)
        raise AssertionError("a weekday comes within eight days")

    # ---- the thread --------------------------------------------------------

    def _run(self) -> None:
        while True:
            due = self._wait_for_due()
            if due is None:
                return
            for func in due:
                func()

    def _wait_for_due(self) -> list[Callable[[], object]] | None:
        """Sleep until jobs are due; their functions (None when shutting down)."""
        with self._changed:
            while not self._stopping:
                now = self._clock()
                ready = [(job_id, job) for job_id, job in self._jobs.items() if job.due <= now]
                if ready:
                    return [self._reschedule(job_id, job, now) for job_id, job in ready]
                earliest = min((job.due for job in self._jobs.values()), default=None)
                self._changed.wait(None if earliest is None else earliest - now)
            return None

    def _reschedule(self, job_id: str, job: _Job, now: float) -> Callable[[], object]:
        """After a job is due: the next run (coalescing what was missed), or none."""
        if job.every is not None:
            following = job.due + job.every
            job.due = following if following > now else now + job.every
        elif job.weekly is not None:
            job.due = max(self._next_weekly(job.weekly), now + 1.0)
        else:
            del self._jobs[job_id]
        return job.func
