"""When the daemon wakes: APScheduler 3 driven from the engine's clock.

The engine reckons in seconds on CLOCK_BOOTTIME; APScheduler in wall time.
`Wakeups` owns the one `BackgroundScheduler` (one worker thread) and bridges
the two:

* `place(moment)` keeps exactly one one-shot job, at the engine moment given
  (or none), placed in UTC at `wall now + (moment - boot now)` with no misfire
  limit and coalescing. A suspend or a clock jump makes the job late or early,
  never lost or replayed; an early job only makes the daemon look and place
  it again.
* `weekly(...)` and `every(...)` hold the fixed-time and periodic jobs.
* `local(t)` / `local_now()` turn engine moments into aware local times in the
  local zone (a zone, not a fixed offset, so DST is right), read afresh each
  time so a time-zone change is followed.

APScheduler sleeps on the monotonic clock until a wall-clock moment: after the
wall clock steps back an hour, a placed job would sit an hour too far ahead.
`ergod.daemon.steps` tells the daemon when the wall clock is set (a Linux
timerfd, no polling), and the daemon then places the one-shot again. So the
scheduler sleeps until its next job, however far ahead.

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

WallClock = Callable[[], datetime]
_SAME = timedelta(milliseconds=1)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Wakeups:
    """The daemon's scheduler, and its engine-clock / local-time bridge."""

    def __init__(self, clock: Clock, wall: WallClock) -> None:
        self._clock = clock
        self._wall = wall
        self._fire: Callable[[], None] = lambda: None
        self._scheduler: Any = None
        self._placed: tuple[float, datetime] | None = None  # engine moment, wall run date

    def start(self, fire: Callable[[], None]) -> None:
        """Start the scheduler; `fire` runs (on its thread) at each one-shot."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._fire = fire
        self._scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._scheduler.start()

    def clock_stepped(self) -> None:
        """The wall clock was set (`ergod.daemon.steps`): the scheduler, asleep
        until an old wall time, looks again; the daemon places the one-shot anew."""
        if self._scheduler is not None:
            self._scheduler.wakeup()

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

    # ---- jobs --------------------------------------------------------------

    def place(self, moment: float | None) -> None:
        """The one one-shot: at `moment` on the engine's clock, or none."""
        if self._scheduler is None:
            return
        if moment is None:
            self._placed = None
            self.remove("wake")
            return
        run_date = self._wall() + timedelta(seconds=max(0.0, moment - self._clock()))
        placed = self._placed
        # The same moment at (within a millisecond) the same wall time: leave
        # the job alone, so a job placed again after every job costs nothing.
        if placed is not None and placed[0] == moment and abs(placed[1] - run_date) < _SAME:
            return
        self._placed = (moment, run_date)
        self._scheduler.add_job(
            self._fired, "date", run_date=run_date, id="wake", replace_existing=True
        )

    def _fired(self) -> None:
        self._placed = None  # gone from the scheduler: the next `place` must add it
        self._fire()

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
