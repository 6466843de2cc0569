"""When the daemon wakes: APScheduler 3 driven from the engine's clock.

The engine reckons in seconds on CLOCK_BOOTTIME; APScheduler in wall time.
`Wakeups` owns the one `BackgroundScheduler` (one worker thread) and bridges
the two:

* `place(moment)` keeps exactly one one-shot job, at the engine moment given
  (or none), placed in UTC at `wall now + (moment - boot now)` with no misfire
  limit and coalescing, never more than `HORIZON` ahead. A suspend or a clock
  jump makes the job late or early, never lost or replayed; an early job only
  makes the daemon look and place it again; the horizon bounds how late a
  backward wall-clock jump can make it.
* `weekly(...)` and `every(...)` hold the fixed-time and periodic jobs.
* `local(t)` / `local_now()` turn engine moments into aware local times in the
  local zone (a zone, not a fixed offset, so DST is right), read afresh each
  time so a time-zone change is followed.

APScheduler sleeps on the monotonic clock until a wall-clock moment: after the
wall clock steps back an hour, a placed job would sit an hour too far ahead.
So while a job is pending the scheduler never sleeps longer than `RECHECK`,
and each time it looks it places the one-shot again if `wall - boottime` has
moved (a clock step). With no job pending it sleeps until woken.

Threading contract: `place`, `weekly`, `every`, `remove` are called from the
engine thread; the jobs run on the scheduler's thread. A job that touches
engine state must only post work to the engine thread (the daemon passes its
`post` for that).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ergod.activity.base import Clock
from ergod.durations import DAY_NAMES

HORIZON = 600.0
"""The furthest ahead (s) a one-shot job is placed; see the module docstring."""
RECHECK = 60.0
"""Longest scheduler sleep (s) while a job is pending; `ERGOD_RECHECK_SECONDS` for tests."""
STEP = 1.0
"""A change of `wall - boottime` larger than this (s) is a clock step."""

WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Wakeups:
    """The daemon's scheduler; `fire` is called (on the scheduler thread) at each one-shot."""

    def __init__(
        self,
        clock: Clock,
        wall: WallClock,
        fire: Callable[[], None],
        recheck: float = RECHECK,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._fire = fire
        self._recheck = recheck
        self._scheduler: Any = None
        self._moment: float | None = None  # what `place` was last asked for
        self._offset = 0.0  # wall - boottime when it was placed

    def start(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        wakeups = self

        class Scheduler(BackgroundScheduler):  # type: ignore[misc]
            def _process_jobs(self) -> float | None:
                wait: float | None = super()._process_jobs()
                wakeups._follow_clock_steps()
                return wait if wait is None else min(wait, wakeups._recheck)

        self._scheduler = Scheduler(
            timezone=timezone.utc,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)

    # ---- time --------------------------------------------------------------

    def local(self, t: float) -> datetime:
        """A moment on the engine's clock as an aware local time."""
        from tzlocal import reload_localzone

        wall = self._wall() + timedelta(seconds=t - self._clock())
        return wall.astimezone(reload_localzone())

    def local_now(self) -> datetime:
        from tzlocal import reload_localzone

        return self._wall().astimezone(reload_localzone())

    def _wall_offset(self) -> float:
        return self._wall().timestamp() - self._clock()

    def _follow_clock_steps(self) -> None:
        """Scheduler thread: after a wall-clock step, place the one-shot again."""
        if self._moment is not None and abs(self._wall_offset() - self._offset) > STEP:
            self.place(self._moment)

    # ---- jobs --------------------------------------------------------------

    def place(self, moment: float | None) -> None:
        """The one one-shot: at `moment` on the engine's clock, or none."""
        if self._scheduler is None:
            return
        self._moment = moment
        if moment is None:
            self.remove("wake")
            return
        self._offset = self._wall_offset()
        delay = min(max(0.0, moment - self._clock()), HORIZON)
        self._scheduler.add_job(
            self._fire,
            "date",
            run_date=self._wall() + timedelta(seconds=delay),
            id="wake",
            replace_existing=True,
        )

    def weekly(self, job_id: str, when: tuple[int, int] | None, func: Callable[[], None]) -> None:
        """`func` every week at (weekday, minute of day) local time; None removes it.

        Cron is fine for a weekly moment away from the small hours; schedule
        boundaries, which may sit at midnight, go through `place` instead
        (APScheduler 3's cron can skip or repeat around DST: #529, #1021).
        """
        from apscheduler.triggers.cron import CronTrigger
        from tzlocal import get_localzone

        self.remove(job_id)
        if when is None or self._scheduler is None:
            return
        weekday, minute = when
        trigger = CronTrigger(
            day_of_week=DAY_NAMES[weekday],
            hour=minute // 60,
            minute=minute % 60,
            timezone=get_localzone(),
        )
        self._scheduler.add_job(func, trigger, id=job_id)

    def every(
        self, job_id: str, seconds: float | None, func: Callable[[], Any], *, now: bool = False
    ) -> None:
        """`func` every `seconds` (first run at once if `now`); None removes it."""
        self.remove(job_id)
        if seconds is None or self._scheduler is None:
            return
        first = {"next_run_time": utc_now()} if now else {}
        self._scheduler.add_job(func, "interval", seconds=seconds, id=job_id, **first)

    def remove(self, job_id: str) -> None:
        if self._scheduler is not None and self._scheduler.get_job(job_id):
            self._scheduler.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id) if self._scheduler else None
        moment: datetime | None = job.next_run_time if job else None
        return moment
