"""`ergod run`: the daemon's life, from the instance lock to the last record.

`Daemon(env, extra_config, clock=, wall=, log=, steps=)` is built with an
injected `Environment` and clocks (the real ones by default); `run()` blocks
until SIGTERM, SIGINT or `stop()`, and returns 0 after a requested stop.

`run()` installs the signal handlers first (a stop during start-up waits in
the queue), takes the single-instance lock, builds the parts with
`ergod.daemon.compose.compose`, starts them, opens the control socket, says
READY=1 to systemd, then serves jobs on the calling thread (the engine
thread; see `ergod.daemon.loop`). Everything it started is stopped through
one `contextlib.ExitStack`, in reverse order, whatever happened.

Signals: SIGTERM and SIGINT stop; SIGHUP reloads the configuration; SIGUSR1
and SIGUSR2 are logged and otherwise ignored (their default would end the
daemon with no cleanup).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ergod import __version__
from ergod.activity.base import Clock
from ergod.daemon.loop import Heartbeat, JobLoop
from ergod.daemon.wakeups import WallClock, utc_now
from ergod.environment import Environment

if TYPE_CHECKING:
    from ergod.daemon.runtime import Runtime
    from ergod.daemon.steps import ClockSteps

REQUEST_TIMEOUT = 5.0
"""How long a control request waits for the engine thread."""


class Daemon:
    """`ergod run`. Build with an Environment; `run()` blocks until stopped."""

    def __init__(
        self,
        env: Environment,
        extra_config: Sequence[Path] = (),
        *,
        clock: Clock | None = None,
        wall: WallClock = utc_now,
        log: logging.Logger | None = None,
        steps: ClockSteps | None = None,
    ) -> None:
        self._env = env
        self._extra = tuple(extra_config)
        self._clock = clock
        self._wall = wall
        self._steps = steps
        self._log = log or logging.getLogger("ergod")
        self._loop = JobLoop(self._log, _watchdog(env))

    def stop(self) -> None:
        """Ask the daemon to stop (thread-safe)."""
        self._loop.stop()

    def run(self) -> int:
        """Start everything, serve until stopped, stop everything; 0 when asked to stop."""
        loop = self._loop
        # First: a stop or reload arriving during start-up waits in the queue.
        loop.install_signals(
            {
                signal.SIGTERM: loop.stop,
                signal.SIGINT: loop.stop,
                signal.SIGHUP: lambda: None,  # until the runtime is there
                signal.SIGUSR1: lambda: self._ignored(signal.SIGUSR1),
                signal.SIGUSR2: lambda: self._ignored(signal.SIGUSR2),
            }
        )
        with contextlib.ExitStack() as stack:
            stack.callback(self._stopped)
            runtime = self._start(stack)
            loop.serve(after_job=runtime.sync)
        return 0

    def _start(self, stack: contextlib.ExitStack) -> Runtime:
        from ergod.daemon.api import ControlApi
        from ergod.daemon.compose import compose, real_clocks
        from ergod.daemon.control import (
            ControlError,
            ControlServer,
            Request,
            control_socket_path,
        )
        from ergod.daemon.instance import acquire_instance_lock
        from ergod.daemon.runtime import Runtime

        stack.callback(self._loop.close)
        lock = acquire_instance_lock(self._env)
        stack.callback(lock.release)
        clocks = real_clocks(self._wall, self._clock, self._steps)
        parts = compose(self._env, self._extra, clocks, self._loop, self._log, stack)
        runtime = Runtime(parts)
        stack.callback(self._notify_systemd, "STOPPING=1")
        runtime.start()
        self._loop.set_handler(signal.SIGHUP, runtime.reload_quietly)
        api = ControlApi(runtime)

        def handler(request: Request) -> dict[str, object]:
            """On a connection's thread: the engine thread answers, or time runs out."""
            try:
                return self._loop.call(lambda: api.answer(request), REQUEST_TIMEOUT)
            except TimeoutError:
                raise ControlError("the daemon is busy; try again") from None

        parts.panels.start(handler, runtime.show_card)
        parts.panels.configure(parts.settings.config, parts.settings.library)
        server = ControlServer(
            control_socket_path(self._env), handler, self._log, follow=parts.panels.follow
        )
        stack.callback(server.stop)
        server.start()
        self._notify_systemd("READY=1")
        self._log.info("version %s running (pid %d)", __version__, os.getpid())
        return runtime

    def _ignored(self, signum: signal.Signals) -> None:
        self._log.info("%s ignored (SIGHUP reloads, SIGTERM stops)", signum.name)

    def _stopped(self) -> None:
        self._log.info("stopped")

    def _notify_systemd(self, message: str) -> None:
        from ergod.daemon.sdnotify import notify

        notify(message, self._env.environ)


def _watchdog(env: Environment) -> Heartbeat | None:
    """systemd's watchdog (`WatchdogSec`): ping at half its interval, from the
    engine thread's loop, so a stalled engine thread stops the pings."""
    from ergod.daemon.sdnotify import notify

    usec = env.environ.get("WATCHDOG_USEC", "")
    pid = env.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0 or (pid and pid != str(os.getpid())):
        return None
    return Heartbeat(int(usec) / 2e6, lambda: notify("WATCHDOG=1", env.environ))
