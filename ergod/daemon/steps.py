"""Wall-clock steps: being told when the system clock is set, without polling.

APScheduler sleeps on the monotonic clock until a wall-clock moment, so after
the wall clock is set back an hour a job placed before would sit an hour too
late. The daemon places its one-shot again after every job; it only needs to
hear that the clock was set.

* `TimerfdSteps` (Linux): a thread blocked in `poll()` on a timerfd armed
  with `TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET` far in the future. The
  kernel cancels such a timer, and the read fails with ECANCELED, exactly when
  the realtime clock is set (settimeofday, clock_settime, NTP stepping it, and
  on resume from suspend); the thread then re-arms it and calls `on_step`.
  Between steps the thread never wakes.
* `PolledSteps`: where there is no timerfd, a thread that compares
  `wall - clock` every `period` seconds. The clock-fault tests use it too:
  they shift the process's view of the wall clock, which no kernel notices.

`clock_steps()` picks the first that works here. Threading contract: `start`
and `stop` from the main thread; `on_step` is called on the watcher's thread
and must only post work (the daemon posts an empty job: placing the one-shot
after it re-reads the clocks).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

OnStep = Callable[[], None]

STEP = 1.0
"""A change of `wall - clock` larger than this (s) is a step, for `PolledSteps`."""
POLL_PERIOD = 60.0
_STOP_JOIN = 2.0

CLOCK_REALTIME = 0
TFD_NONBLOCK = 0o4000
TFD_CLOEXEC = 0o2000000
TFD_TIMER_ABSTIME = 1
TFD_TIMER_CANCEL_ON_SET = 2
_FAR = 10 * 365 * 86400  # the timer's expiry (s ahead): never reached in practice


class ClockSteps(Protocol):
    """Calls `on_step` (on a thread of its own) after the wall clock was set."""

    def start(self, on_step: OnStep) -> None: ...

    def stop(self) -> None: ...


class _Watcher:
    """A thread that waits for `_wait()` to report a step, until stopped."""

    name = "ergod-clock-steps"

    def __init__(self) -> None:
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._on_step: OnStep = lambda: None

    def start(self, on_step: OnStep) -> None:
        self._on_step = on_step
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if thread is not None:
            thread.join(_STOP_JOIN)
        self._close()
        for fd in (self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        while True:
            step = self._wait()
            if step is None:
                return
            if step:
                self._on_step()

    def _wait(self) -> bool | None:
        """True after a step, False for nothing, None when stopped."""
        raise NotImplementedError

    def _close(self) -> None:
        return None


class PolledSteps(_Watcher):
    """Compares `wall - clock` every `period` seconds."""

    def __init__(
        self, clock: Callable[[], float], wall: Callable[[], datetime], period: float = POLL_PERIOD
    ) -> None:
        super().__init__()
        self._clock = clock
        self._wall = wall
        self._period = period
        self._offset = self._read()

    def _read(self) -> float:
        return self._wall().timestamp() - self._clock()

    def _wait(self) -> bool | None:
        readable, _, _ = select.select([self._stop_r], [], [], self._period)
        if readable:
            return None
        offset = self._read()
        stepped = abs(offset - self._offset) > STEP
        self._offset = offset
        return stepped


class TimerfdSteps(_Watcher):
    """A cancel-on-set timerfd (Linux); OSError from the constructor elsewhere."""

    def __init__(self) -> None:
        self._timer = _Timerfd()
        super().__init__()

    def _wait(self) -> bool | None:
        poller = select.poll()
        poller.register(self._stop_r, select.POLLIN)
        poller.register(self._timer.fd, select.POLLIN)
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if self._stop_r in ready:
                return None
            if self._timer.fd in ready:
                return self._timer.consume()

    def _close(self) -> None:
        self._timer.close()


class _Timerfd:
    """The timer itself: `os.timerfd_*` (Python 3.13+) or libc through ctypes."""

    def __init__(self) -> None:
        self._create, self._settime = _timerfd_calls()
        self.fd = self._create()
        try:
            self.arm()
        except OSError:
            os.close(self.fd)
            raise

    def arm(self) -> None:
        """Expire far ahead; cancelled (ECANCELED on read) when the clock is set."""
        self._settime(self.fd, int(time.time()) + _FAR)

    def consume(self) -> bool:
        """After the fd polled readable: True if the clock was set (re-armed)."""
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno != errno.ECANCELED:
                raise
            self.arm()
            return True
        self.arm()  # it expired (after ten years): arm it again
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


_FLAGS = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET


def _timerfd_calls() -> tuple[Callable[[], int], Callable[[int, int], None]]:
    """(create, settime at an absolute expiry) from `os`, else from libc."""
    os_create = getattr(os, "timerfd_create", None)  # Python 3.13+
    os_settime = getattr(os, "timerfd_settime", None)
    if os_create is not None and os_settime is not None:

        def create_os() -> int:
            fd: int = os_create(CLOCK_REALTIME, flags=TFD_NONBLOCK | TFD_CLOEXEC)
            return fd

        def settime_os(fd: int, expiry: int) -> None:
            os_settime(fd, flags=_FLAGS, initial=float(expiry))

        return create_os, settime_os
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "timerfd_create"):
        raise OSError(errno.ENOSYS, "no timerfd in this C library")

    class Timespec(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

    class Itimerspec(ctypes.Structure):
        _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]

    def create() -> int:
        fd = int(libc.timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        return fd

    def settime(fd: int, expiry: int) -> None:
        spec = Itimerspec(Timespec(0, 0), Timespec(expiry, 0))
        if libc.timerfd_settime(fd, _FLAGS, ctypes.byref(spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")

    return create, settime


def clock_steps(clock: Callable[[], float], wall: Callable[[], datetime]) -> ClockSteps:
    """A timerfd watcher where the kernel has one, else a 60 s poll."""
    try:
        return TimerfdSteps()
    except (OSError, AttributeError):
        return PolledSteps(clock, wall)
