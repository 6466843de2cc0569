"""What panels show: the glance feed and the tray icon, fed after every job.

`Panels` owns the glance feed (`ergod.daemon.feed`: `ergod status --follow`
connections, handed over by the control socket) and, with `[tray] enabled`,
the tray icon (`ergod.tray`), which is one of the feed's sinks. After every
job the runtime calls `publish(...)` with the engine's view; the feed tells
its watchers when the glance changed, and says when the daemon must wake for
the next minute of sitting time (only while someone watches).

The tray's menu asks the daemon through the same control API as the socket
(`request`, given to `start`), shows an exercise card through a job, and opens
the week's summary on a thread of its own.

Threading contract: engine thread, except `follow` (the control socket's
threads) and what the tray host's callbacks do (they post jobs or call the
control API, which posts one).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ergod.core.engine import EngineView
from ergod.core.rules import Rules
from ergod.daemon.feed import Feed
from ergod.daemon.protocol import Request
from ergod.environment import Environment

if TYPE_CHECKING:
    from ergod.config.schema import Config
    from ergod.exercises.library import Library
    from ergod.tray.service import Tray

Handler = Callable[[Request], Mapping[str, object]]
Post = Callable[[Callable[[], None]], None]


class Panels:
    """The glance feed and the optional tray icon; see the module docstring."""

    def __init__(
        self, env: Environment, extra: Sequence[Path], post: Post, log: logging.Logger
    ) -> None:
        self._env = env
        self._extra = tuple(extra)
        self._post = post
        self._log = log
        self._feed = Feed(lambda: post(lambda: None), log)
        self._tray: Tray | None = None
        self._request: Handler | None = None
        self._show_card: Callable[[str], None] = lambda ident: None

    def follow(self, conn: socket.socket) -> None:
        """The control socket hands over a `follow` connection (any thread)."""
        self._feed.follow(conn)

    def start(self, request: Handler, show_card: Callable[[str], None]) -> None:
        """Ready for a tray: its menu's requests and "show this exercise"."""
        self._request = request
        self._show_card = show_card

    def configure(self, config: Config, library: Library) -> None:
        """`[tray] enabled`: start or stop the tray icon (at start and at reload)."""
        wanted = config.tray.enabled and self._request is not None
        if wanted and self._tray is None:
            self._start_tray()
        elif not wanted and self._tray is not None:
            self._stop_tray()
        if self._tray is not None:
            names = [(e.id, e.name) for e in library.enabled()]
            self._tray.configure(names, config.schedule.start)

    def _start_tray(self) -> None:
        from ergod.tray.actions import TrayHost, open_week_summary
        from ergod.tray.service import Tray

        request = self._request
        if request is None:
            return
        env, extra, log, post = self._env, self._extra, self._log, self._post
        show = self._show_card
        host = TrayHost(
            request=request,
            show_exercise=lambda ident: post(lambda: show(ident)),
            open_summary=lambda: open_week_summary(env.daemon_dir, extra, env.environ, log),
            refresh=lambda: post(lambda: None),
        )
        tray = Tray(env.environ, host, log)
        if tray.start():
            self._tray = tray
            self._feed.add_sink(tray)

    def _stop_tray(self) -> None:
        tray, self._tray = self._tray, None
        if tray is not None:
            self._feed.remove_sink(tray)
            tray.stop()

    def publish(
        self,
        view: EngineView,
        rules: Rules,
        *,
        reasons: Sequence[str],
        paused_until: str | None,
        mode: str,
        source: str,
    ) -> float | None:
        """Give the feed the glance at `view.at`; the next minute its watchers need."""
        from ergod.daemon.barview import glance_at

        reading = glance_at(
            view, rules, reasons=reasons, paused_until=paused_until, mode=mode, source=source
        )
        self._feed.publish(reading)
        return self._feed.wake_at()

    def stop(self) -> None:
        self._stop_tray()
        self._feed.stop()
