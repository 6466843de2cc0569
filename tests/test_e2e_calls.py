"""A call through the installed `ergod run` (issue 11): real PulseAudio, `parecord` as the call.

The daemon runs on Xvfb (x11 source, xdotool at the mouse) with dunst on a
private bus and the call probe pointed at a real PulseAudio server
(tests/sound_server.py: uid nobody, a null sink's monitor remapped as the
microphone; the daemon reads its cookie as root). Recording from `mic` under
the name `zoom` is the call. Short durations: a natural break after 10 s
without input, a stretch break every 8 s, the catch-up 4 s after quiet time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_support import Daemon, Person, private_env, status, wait_for
from servers import NotificationServer, require_tool, stop_process
from sound_server import Pulse, running_pulseaudio

pytestmark = pytest.mark.e2e

CONFIG = """\
[activity]
source = "x11"

[sitting]
break_after = "10s"

[breaks]
catch_up = "4s"

[breaks.stretch]
every = "8s"
duration = "3s"
grace = "60s"
repeat = "60s"

[breaks.movement]
enabled = false

[quiet]
calls = true
processes = []
fullscreen = false
dnd = false

[notify]
backend = "freedesktop"
timeout = "60s"
"""


@pytest.fixture
def pulse() -> Iterator[Pulse]:
    with running_pulseaudio() as server:
        yield server


def _env(tmp_path: Path, pulse: Pulse) -> dict[str, str]:
    """The daemon's environment (the session's X and bus, the sound server);
    writes CONFIG to `calls.toml` beside it."""
    require_tool("xdotool")
    (tmp_path / "calls.toml").write_text(CONFIG)
    sound = pulse.env()
    return private_env(
        tmp_path,
        DISPLAY=os.environ["DISPLAY"],
        DBUS_SESSION_BUS_ADDRESS=os.environ["DBUS_SESSION_BUS_ADDRESS"],
        PULSE_SERVER=sound["PULSE_SERVER"],
        PULSE_COOKIE=sound["PULSE_COOKIE"],
    )


def _mouse(env: dict[str, str]) -> Person:
    x = [0]

    def move() -> None:
        x[0] = (x[0] + 7) % 500
        subprocess.run(["xdotool", "mousemove", str(100 + x[0]), "200"], env=env, check=False)

    return Person(move)


def _prompts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in items if n["summary"] == "Stretch break"]


def test_a_call_is_quiet_and_attended_and_the_prompt_catches_up_after_it(
    tmp_path: Path, pulse: Pulse, notification_server: NotificationServer
) -> None:
    env = _env(tmp_path, pulse)
    config = tmp_path / "calls.toml"
    mouse = _mouse(env)
    call: subprocess.Popen[bytes] | None = None
    try:
        with Daemon(env, "--config", str(config), log=tmp_path / "ergod.log") as daemon:
            wait_for(lambda: status(env), 15, "the control socket")
            mouse.present.set()
            time.sleep(2)  # sitting
            call = pulse.record("mic", "zoom")
            mouse.present.clear()  # in the call: no input at all
            during = wait_for(
                lambda: (s := status(env) or {}).get("attended") and s, 15, "attended time"
            )
            assert any("microphone" in r for r in during["attended"]), during
            assert any("microphone" in r for r in during["quiet"]), during
            notification_server.forget_so_far()
            time.sleep(14)  # past break_after (10 s) and a stretch break's due time
            still = status(env) or {}
            assert still["sitting_seconds"] is not None and still["sitting_seconds"] >= 14, still
            assert _prompts(notification_server.history()) == []  # quiet time: no prompt
            stop_process(call)
            call = None
            mouse.present.set()  # back at the keyboard after the call
            wait_for(lambda: not (status(env) or {}).get("attended"), 15, "the call's end")
            notification_server.wait_for(lambda items: bool(_prompts(items)), timeout=30)
            assert daemon.stop() == 0, daemon.read()
    finally:
        mouse.close()
        if call is not None:
            stop_process(call)


def test_a_process_named_teams_merely_running_does_not_hold_prompts(
    tmp_path: Path, pulse: Pulse, notification_server: NotificationServer
) -> None:
    env = _env(tmp_path, pulse)
    config = tmp_path / "calls.toml"
    teams = tmp_path / "teams"
    shutil.copy(require_tool("sleep"), teams)
    idle_app = subprocess.Popen([str(teams), "600"])
    mouse = _mouse(env)
    try:
        with Daemon(env, "--config", str(config), log=tmp_path / "ergod.log") as daemon:
            wait_for(lambda: status(env), 15, "the control socket")
            mouse.present.set()
            notification_server.wait_for(lambda items: bool(_prompts(items)), timeout=30)
            assert (status(env) or {}).get("attended") == []
            assert daemon.stop() == 0, daemon.read()
    finally:
        mouse.close()
        stop_process(idle_app)
