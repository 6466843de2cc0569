"""The panel part: the glance feed and the tray icon, as `ergod run` drives them.

`Panel(env, extra, log, refresh)` owns the glance feed (`ergod.daemon.feed`):
the control socket hands it `follow` connections (`follow`), and after every
job the runtime gives it the glance at that moment (`publish`), which goes to
followers and to the tray only when it changed. `wake_at()` is the next
sitting-minute crossing while anyone watches (None otherwise), one of the
moments the runtime places its one-shot at.

`configure(settings, host)` starts or stops the tray icon (`ergod.tray`) as
`[tray] enabled` says, at start and at every reload, and gives it the
enabled exercises and the schedule's start. `stop()` stops the tray, then the
feed (its followers see the connection close).

Threading contract: `follow` from the control socket's threads; everything
else on the engine thread, except `stop()` (from the ExitStack, main thread).
`refresh` must only post a job to the engine thread.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ergod.daemon.feed import Feed

if TYPE_CHECKING:
    from ergod.daemon.barview import Reading
    from ergod.daemon.compose import Settings
    from ergod.tray.actions import TrayHost
    from ergod.tray.service import Tray


class Panel:
    """The feed and the tray; see the module docstring."""

    def __init__(self, log: logging.Logger, refresh: Callable[[], None]) -> None:
        self._log = log
        self.feed = Feed(refresh, log)
        self._tray: Tray | None = None

    def follow(self, conn: socket.socket) -> None:
        self.feed.follow(conn)

    def publish(self, reading: Reading) -> float | None:
        """Give the feed the glance; the next minute its watchers need."""
        self.feed.publish(reading)
        return self.feed.wake_at()

    def configure(self, settings: Settings, host: TrayHost, environ: Mapping[str, str]) -> None:
        """`[tray] enabled`: start or stop the tray icon (at start and at reload)."""
        wanted = settings.config.tray.enabled
        if wanted and self._tray is None:
            from ergod.tray.service import Tray

            tray = Tray(environ, host, self._log)
            if tray.start():
                self._tray = tray
                self.feed.add_sink(tray)
        elif not wanted and self._tray is not None:
            self.feed.remove_sink(self._tray)
            self._tray.stop()
            self._tray = None
        if self._tray is not None:
            from ergod.i18n import _

            # The names in the daemon's language (a user's own exercise as written).
            names = [(e.id, _(e.name)) for e in settings.library.enabled()]
            self._tray.configure(names, settings.config.schedule.start)

    def stop(self) -> None:
        if self._tray is not None:
            self._tray.stop()
            self._tray = None
        self.feed.stop()
