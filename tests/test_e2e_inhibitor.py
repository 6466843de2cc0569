"""An idle inhibitor (a video) through the installed `ergod run` (issue 11).

`systemd-inhibit --what=idle` holds an inhibitor through the stand-in logind
of tests/test_quiet_inhibitors.py (the daemon's system bus). The daemon runs
on Xvfb (x11 source, xdotool at the mouse) with dunst: while the inhibitor is
held the user counts as present without input (status `attended`), so the bout
runs on past break_after; it is not quiet time, so the stretch prompt still
comes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from daemon_support import Daemon, private_env, status, wait_for
from servers import NotificationServer, require_tool, stop_process
from test_e2e_calls import CONFIG
from test_quiet_inhibitors import InhibitingLogind, inhibit, logind, system_bus  # noqa: F401

pytestmark = pytest.mark.e2e


def test_an_idle_inhibitor_keeps_the_bout_going_and_prompts_still_come(
    tmp_path: Path,
    system_bus: str,  # noqa: F811 - the fixture
    logind: InhibitingLogind,  # noqa: F811 - the fixture
    notification_server: NotificationServer,
) -> None:
    require_tool("xdotool")
    env = private_env(
        tmp_path,
        DISPLAY=os.environ["DISPLAY"],
        DBUS_SESSION_BUS_ADDRESS=os.environ["DBUS_SESSION_BUS_ADDRESS"],
        DBUS_SYSTEM_BUS_ADDRESS=system_bus,
    )
    config = tmp_path / "video.toml"
    config.write_text(CONFIG.replace("calls = true", "calls = false"))
    holder = inhibit(system_bus, "idle")
    try:
        with Daemon(env, "--config", str(config), log=tmp_path / "ergod.log") as daemon:
            during = wait_for(
                lambda: (s := status(env) or {}).get("attended") and s, 20, "attended time"
            )
            assert during["attended"] == ["keeping the screen awake: mpv"], during
            assert during["quiet"] == []  # a video is presence, not quiet time
            time.sleep(14)  # past break_after (10 s) without input
            still = status(env) or {}
            assert still["sitting_seconds"] is not None and still["sitting_seconds"] >= 14, still
            notification_server.wait_for(
                lambda items: any(n["summary"] == "Stretch break" for n in items), timeout=30
            )
            stop_process(holder)
            wait_for(lambda: not (status(env) or {}).get("attended"), 20, "the inhibitor's end")
            assert daemon.stop() == 0, daemon.read()
    finally:
        stop_process(holder)  # nobody touched the mouse: the video was the presence
