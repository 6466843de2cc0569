"""Choosing the activity source: auto order, forced sources, schedule-only mode.

Real X servers (Xvfb, with extensions switched off where a test needs a
server that lacks them) and real subprocesses; the D-Bus candidates are
rejected here by giving them no session bus, which is their own probe's job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from import_support import loaded_after
from test_activity_x11 import IDLE_RESOLUTION, wrapped_xvfb, xdotool

from ergod.activity import SOURCE_NAMES, SourceChoice, candidates, select_source
from ergod.activity.base import SourceUnavailable
from ergod.activity.listener import ListenerSource
from ergod.activity.x11 import X11Source
from ergod.daemon.clock import now
from ergod.errors import UsageError

LINUX = ("gnome", "cinnamon", "wayland", "screensaver", "x11", "pynput")


def session(display: str | None = None, **extra: str) -> dict[str, str]:
    """An environment with only what the probes read: no bus, maybe a display."""
    environ = {"PATH": os.environ["PATH"], **extra}
    if display is not None:
        environ["DISPLAY"] = display
    return environ


def test_the_choices_match_the_configuration_values() -> None:
    assert SOURCE_NAMES == (
        "auto",
        "gnome",
        "cinnamon",
        "wayland",
        "screensaver",
        "x11",
        "pynput",
        "windows",
        "macos",
        "none",
    )
    assert candidates("linux") == LINUX
    assert candidates("win32") == ("windows",)
    assert candidates("darwin") == ("macos",)


def test_an_unknown_source_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown activity source 'evdev'"):
        select_source("evdev", now, session())


def test_none_is_schedule_only_on_purpose() -> None:
    choice = select_source("none", now, session())
    assert choice == SourceChoice(None, "none")
    assert choice.schedule_only
    assert "as configured" in choice.describe()


def test_nothing_usable_falls_back_to_schedule_only_and_says_why() -> None:
    choice = select_source("auto", now, session(), platform="linux")
    assert choice.source is None and choice.name == "none"
    assert [name for name, _ in choice.tried] == list(LINUX)
    reasons = dict(choice.tried)
    assert reasons["x11"] == "no display (DISPLAY is not set)"
    assert reasons["pynput"] == "no display (DISPLAY is not set)"
    assert "DISPLAY" in choice.advice and "pynput fallback needs" in choice.advice
    text = choice.describe()
    assert "schedule-only mode" in text
    assert "x11: no display (DISPLAY is not set)" in text
    assert "import-environment DISPLAY" in text


def test_auto_picks_x11_when_the_server_can_serve_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch) as (display, _pid):
        choice = select_source("auto", now, session(display), platform="linux")
        assert isinstance(choice.source, X11Source)
        assert choice.name == "x11"
        assert [name for name, _ in choice.tried] == ["gnome", "cinnamon", "wayland", "screensaver"]
        assert choice.advice == ""
        choice.source.start()
        try:
            # The chosen source reads this session's server: asked a while
            # after input made there, it dates the input to when it was made.
            before, after = xdotool("mousemove", "40", "30")
            time.sleep(0.3)
            last_input = now() - choice.source.idle_seconds()
        finally:
            choice.source.stop()
        assert before - IDLE_RESOLUTION <= last_input <= after + IDLE_RESOLUTION


def test_without_mit_screen_saver_the_listener_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch, "-extension", "MIT-SCREEN-SAVER") as (display, _):
        choice = select_source("auto", now, session(display), platform="linux")
        assert isinstance(choice.source, ListenerSource)
        assert dict(choice.tried)["x11"] == (
            f"the X server on {display} lacks the MIT-SCREEN-SAVER extension"
        )
        with pytest.raises(SourceUnavailable, match='"x11" was set but cannot work here'):
            select_source("x11", now, session(display))


def test_without_record_no_x11_source_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch, "-extension", "RECORD") as (display, _):
        choice = select_source("auto", now, session(display), platform="linux")
        assert choice.schedule_only
        reasons = dict(choice.tried)
        assert "RECORD" in reasons["x11"] and "RECORD" in reasons["pynput"]


def test_a_wayland_session_rejects_the_x11_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch) as (display, _):
        environ = session(display, WAYLAND_DISPLAY="wayland-0")
        choice = select_source("auto", now, environ, platform="linux")
        assert choice.schedule_only
        assert "Wayland session" in dict(choice.tried)["x11"]
        assert "Wayland session" in dict(choice.tried)["pynput"]


def test_a_forced_source_that_fails_is_an_error_with_advice() -> None:
    with pytest.raises(SourceUnavailable) as raised:
        select_source("x11", now, session())
    message = str(raised.value)
    assert message.startswith('activity source "x11" was set but cannot work here: no display')
    assert "import-environment DISPLAY XAUTHORITY" in message


def test_a_forced_source_that_works_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch) as (display, _):
        choice = select_source("pynput", now, session(display))
        assert isinstance(choice.source, ListenerSource)
        assert choice.tried == () and choice.name == "pynput"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="checks the foreign platforms")
@pytest.mark.parametrize(
    ("platform", "name", "reason"),
    [("win32", "windows", "not running on Windows"), ("darwin", "macos", "not running on macOS")],
)
def test_other_platforms_candidates_refuse_here(platform: str, name: str, reason: str) -> None:
    choice = select_source("auto", now, session(), platform=platform)
    assert choice.schedule_only
    assert choice.tried == ((name, reason),)
    with pytest.raises(SourceUnavailable, match=reason):
        select_source(name, now, session())


def test_pynputs_dummy_backend_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pynput picks its backend at import, so this runs in a fresh process.
    code = (
        "import os\n"
        "from ergod.activity import select_source\n"
        "from ergod.daemon.clock import now\n"
        "choice = select_source('auto', now, dict(os.environ), platform='linux')\n"
        "print(choice.name, dict(choice.tried)['pynput'])\n"
    )
    with wrapped_xvfb(tmp_path, monkeypatch, "-extension", "MIT-SCREEN-SAVER") as (display, _):
        env = dict(os.environ, DISPLAY=display, PYNPUT_BACKEND="dummy")
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "none pynput backend 'dummy' cannot see this session's input"


def test_importing_the_sources_loads_no_input_library() -> None:
    # `ergod --help` and `ergod status` import ergod.activity; pynput and
    # python-xlib load only when a source is probed or started.
    code = (
        "import ergod.activity, ergod.activity.x11, ergod.activity.listener\n"
        "import ergod.activity.windows, ergod.activity.macos, ergod.daemon.clock\n"
    )
    assert loaded_after(code, ["pynput", "Xlib"]) == []
