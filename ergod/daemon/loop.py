"""The engine thread's job loop: a queue, a self-pipe, signals, the watchdog.

Every part of the daemon that runs on another thread (the scheduler, the
activity source's return watch, the session sources, the notifier's buttons,
the control socket) reaches engine state only by posting a job here. The
thread that calls `serve()` (the main thread in `ergod run`) runs the jobs one
at a time, in order, and after each one calls `after_job` (the daemon places
its next wake-up there).

The thread sleeps in `os.read` on a pipe, not in a queue wait: a read is
interrupted by signals, and `signal.set_wakeup_fd` makes the C-level handler
write to the same pipe, so a signal delivered to any thread wakes the engine
thread and its Python handler runs at once.

The systemd watchdog is fed from this loop, between jobs, every `interval`:
a job that stalls the engine thread stops the pings, and systemd restarts the
daemon (`WatchdogSec`). Without a watchdog the thread sleeps until a job comes;
it never wakes on a timer.

Threading contract: `post`, `call` and `stop` may be called from any thread
(and `post` from a signal handler); `serve` and `install_signals` from the
main thread only; `close` after `serve` returned.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import TypeVar

Job = Callable[[], None]
T = TypeVar("T")


class Heartbeat:
    """Calls `ping` at most every `interval` seconds (monotonic), when asked."""

    def __init__(self, interval: float, ping: Callable[[], object]) -> None:
        if interval <= 0:
            raise ValueError("a heartbeat interval must be positive")
        self.interval = interval
        self._ping = ping
        self._next = 0.0

    def beat(self) -> float:
        """Ping if due; the seconds until the next ping is due."""
        now = time.monotonic()
        if now >= self._next:
            self._ping()
            self._next = now + self.interval
        return max(0.0, self._next - now)


class JobLoop:
    """One thread's queue of jobs; see the module docstring."""

    def __init__(self, log: logging.Logger, heartbeat: Heartbeat | None = None) -> None:
        self._log = log
        self._heartbeat = heartbeat
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._signals = False
        self._handlers: dict[int, Job] = {}

    def post(self, job: Job) -> None:
        """Queue `job` for the loop's thread (any thread, or a signal handler)."""
        self._jobs.put(job)
        # A full pipe holds wake-ups already: the thread will look anyway.
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"\0")

    def call(self, func: Callable[[], T], timeout: float) -> T:
        """Run `func` on the loop's thread and return its result (or raise its error).

        TimeoutError when the loop has not run it within `timeout` seconds.
        """
        done: futures.Future[T] = futures.Future()

        def job() -> None:
            if not done.set_running_or_notify_cancel():
                return  # the caller gave up waiting
            try:
                done.set_result(func())
            except Exception as exc:
                done.set_exception(exc)

        self.post(job)
        try:
            return done.result(timeout=timeout)
        except futures.TimeoutError:  # not the builtin one before Python 3.11
            done.cancel()
            raise TimeoutError from None

    def stop(self) -> None:
        """Ask `serve()` to return after the jobs already queued before this one."""
        self.post(self._request_stop)

    def _request_stop(self) -> None:
        self._stopping = True

    def install_signals(self, handlers: Mapping[signal.Signals, Job]) -> None:
        """Run each handler as a job when its signal comes (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return
        # Whichever thread the kernel hands a signal to, the C-level handler
        # writes to the wake pipe, so the engine thread's read returns.
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._signals = True
        for signum, job in handlers.items():
            self._handlers[signum] = job
            signal.signal(signum, self._on_signal)

    def set_handler(self, signum: signal.Signals, job: Job) -> None:
        """Change what an installed signal does (e.g. once the parts exist)."""
        self._handlers[signum] = job

    def _on_signal(self, signum: int, _frame: object) -> None:
        # The job is looked up when it runs: a signal that came during start-up
        # gets the handler set by then.
        self.post(lambda: self._handlers[signum]())

    def serve(self, after_job: Job) -> None:
        """Run jobs until `stop()`; `after_job` after each job, unless stopping."""
        while not self._stopping:
            wait = None if self._heartbeat is None else self._heartbeat.beat()
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                self._sleep(wait)
                continue
            self._run(job)
            if not self._stopping:
                self._run(after_job)

    def _run(self, job: Job) -> None:
        try:
            job()
        except Exception:
            self._log.exception("internal error; ergod carries on")

    def _sleep(self, wait: float | None) -> None:
        """Wait for the pipe; at most `wait` seconds (None: until a job comes)."""
        if wait is None:
            os.read(self._wake_r, 4096)
            return
        readable, _, _ = select.select([self._wake_r], [], [], wait)
        if readable:
            os.read(self._wake_r, 4096)

    def close(self) -> None:
        """Undo `install_signals` and close the pipe."""
        if self._signals and threading.current_thread() is threading.main_thread():
            signal.set_wakeup_fd(-1)
            self._signals = False
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
