"""ergod.quiet: the probes against real processes, a real X server, a real dunst
and real D-Bus services on a private bus; QuietState's transitions as a table.

The portal and KDE-style `Inhibited` services are small real services on the bus
(tests/dbus_services.py) speaking the real interfaces, since neither GNOME's
portal nor Plasma runs here.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbus_services import Refused, Reply, Service
from servers import running_dbus_session, running_xvfb_process, stop_process

from ergod.config.schema import QuietConfig
from ergod.core.model import EventKind
from ergod.core.quiet import OUTSIDE_SCHEDULE, PAUSED, RECHECK, QuietState, Transition
from ergod.quiet import ask, build_probes
from ergod.quiet.dnd import DND_ON, DndProbe
from ergod.quiet.fullscreen import FULLSCREEN_ON, FullscreenProbe, fullscreen_unavailable
from ergod.quiet.processes import ProcessProbe

LOG = logging.getLogger("test-quiet")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# ---- programs ------------------------------------------------------------


@pytest.fixture
def program_dir() -> Iterator[Path]:
    # Not tmp_path: its parents are 0700, and one test runs a copy as another user.
    with tempfile.TemporaryDirectory(prefix="ergod-quiet-") as tmp:
        os.chmod(tmp, 0o755)
        yield Path(tmp)


def start_copy(directory: Path, name: str, **popen: Any) -> subprocess.Popen[bytes]:
    """Run a copy of sleep named `name`: a process whose name is `name`."""
    program = directory / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    program.chmod(0o755)
    return subprocess.Popen([str(program), "60"], **popen)


def test_process_probe_sees_a_running_program_and_its_end(program_dir: Path) -> None:
    probe = ProcessProbe(["teams", "zoom"], LOG)
    assert probe.check() is None
    proc = start_copy(program_dir, "zoom")
    try:
        assert probe.check() == "zoom is running"
    finally:
        stop_process(proc)
    assert probe.check() is None


def test_process_names_match_whole_and_ignore_case(program_dir: Path) -> None:
    proc = start_copy(program_dir, "zoom")
    try:
        assert ProcessProbe(["ZOOM"]).check() == "ZOOM is running"
        assert ProcessProbe(["zoom.exe"]).check() == "zoom.exe is running"
        assert ProcessProbe(["zoo", "oom", "zoom-x"]).check() is None
    finally:
        stop_process(proc)


def test_process_probe_matches_argv0_basename() -> None:
    # The process is named "sleep"; only its argv[0] says "teams".
    import psutil

    proc = subprocess.Popen(["bash", "-c", "exec -a /opt/teams/teams sleep 60"])
    try:
        deadline = time.monotonic() + 10.0  # a safety net for a stuck run, not a timing check
        while psutil.Process(proc.pid).cmdline()[:1] != ["/opt/teams/teams"]:
            assert time.monotonic() < deadline, "bash did not exec sleep"
            time.sleep(0.01)
        assert psutil.Process(proc.pid).name() == "sleep"
        assert ProcessProbe(["teams"]).check() == "teams is running"
    finally:
        stop_process(proc)


@pytest.mark.skipif(os.getuid() != 0, reason="starting another user's process needs root")
def test_process_probe_ignores_other_users(program_dir: Path) -> None:
    proc = start_copy(program_dir, "zoom", user=65534, group=65534)
    try:
        assert ProcessProbe(["zoom"]).check() is None
    finally:
        stop_process(proc)


def test_process_probe_with_no_names_is_silent() -> None:
    assert ProcessProbe(["", "  "]).check() is None


# ---- fullscreen windows on X11 ---------------------------------------------


class Windows:
    """Top-level windows made with python-xlib on the test's X server."""

    def __init__(self, display_name: str) -> None:
        import Xlib.display

        self.display = Xlib.display.Display(display_name)
        self.root = self.display.screen().root

    def atom(self, name: str) -> int:
        return int(self.display.intern_atom(name))

    def window(self, *, states: tuple[str, ...] = (), mapped: bool = True) -> Any:
        from Xlib import X, Xatom

        window = self.root.create_window(0, 0, 200, 100, 0, X.CopyFromParent)
        if states:
            atoms = [self.atom(s) for s in states]
            window.change_property(self.atom("_NET_WM_STATE"), Xatom.ATOM, 32, atoms)
        if mapped:
            window.map()
        self.display.sync()
        return window

    def set_active(self, window: Any) -> None:
        from Xlib import Xatom

        value = [window.id if window is not None else 0]
        self.root.change_property(self.atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW, 32, value)
        self.display.sync()

    def close(self) -> None:
        self.display.close()


@pytest.fixture
def windows(xvfb: str) -> Iterator[Windows]:
    made = Windows(xvfb)
    yield made
    made.close()


@pytest.fixture
def fullscreen(xvfb: str) -> Iterator[FullscreenProbe]:
    probe = FullscreenProbe(xvfb, LOG)
    yield probe
    probe.close()


def test_no_window_is_not_fullscreen(fullscreen: FullscreenProbe) -> None:
    assert fullscreen.check() is None


def test_a_mapped_fullscreen_window_is_seen(windows: Windows, fullscreen: FullscreenProbe) -> None:
    windows.window(states=("_NET_WM_STATE_ABOVE",))
    assert fullscreen.check() is None
    window = windows.window(states=("_NET_WM_STATE_ABOVE", "_NET_WM_STATE_FULLSCREEN"))
    assert fullscreen.check() == FULLSCREEN_ON
    window.unmap()
    windows.display.sync()
    assert fullscreen.check() is None


def test_an_unmapped_fullscreen_window_is_not(
    windows: Windows, fullscreen: FullscreenProbe
) -> None:
    windows.window(states=("_NET_WM_STATE_FULLSCREEN",), mapped=False)
    assert fullscreen.check() is None


def test_the_active_window_decides_when_the_wm_names_one(
    windows: Windows, fullscreen: FullscreenProbe
) -> None:
    full = windows.window(states=("_NET_WM_STATE_FULLSCREEN",))
    plain = windows.window()
    windows.set_active(plain)
    assert fullscreen.check() is None
    windows.set_active(full)
    assert fullscreen.check() == FULLSCREEN_ON
    windows.set_active(None)  # nothing focused
    assert fullscreen.check() is None
    full.destroy()  # an active window that is gone
    windows.display.sync()
    windows.set_active(full)
    assert fullscreen.check() is None


def test_a_lost_x_server_gives_none_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with running_xvfb_process() as (display, proc):
        probe = FullscreenProbe(display, LOG)
        assert probe.check() is None
        stop_process(proc)
        assert probe.check() is None
        assert probe.check() is None
        probe.close()
    assert len(warnings(caplog)) == 1, warnings(caplog)
    assert "fullscreen" in warnings(caplog)[0]


def test_fullscreen_needs_a_display() -> None:
    assert fullscreen_unavailable({}) == "no X display (DISPLAY is not set)"
    assert build_probes(QuietConfig(False, (), True, False), {}, LOG) == []
    why = fullscreen_unavailable({"DISPLAY": ":65000"})
    assert why is not None and why.startswith("cannot open X display :65000")


def test_fullscreen_probe_built_for_a_display(xvfb: str) -> None:
    [probe] = build_probes(QuietConfig(False, (), True, False), {"DISPLAY": xvfb}, LOG)
    assert isinstance(probe, FullscreenProbe)
    assert probe.check() is None
    probe.close()


# ---- do not disturb ------------------------------------------------------------


def test_dunst_paused_is_do_not_disturb(notification_server: Any, dbus_session: str) -> None:
    probe = DndProbe(dbus_session, LOG)
    try:
        assert probe.check() is None
        notification_server.dunstctl("set-paused", "true")
        assert probe.check() == DND_ON
        notification_server.dunstctl("set-paused", "false")
        assert probe.check() is None
    finally:
        probe.close()


def test_no_notification_server_is_not_a_failure(
    dbus_session: str, caplog: pytest.LogCaptureFixture
) -> None:
    probe = DndProbe(dbus_session, LOG)
    assert probe.check() is None
    probe.close()
    assert warnings(caplog) == []


def test_a_lost_bus_gives_none_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with running_dbus_session() as address:
        probe = DndProbe(address, LOG)
        assert probe.check() is None
    assert probe.check() is None
    assert probe.check() is None
    probe.close()
    assert len(warnings(caplog)) == 1, warnings(caplog)


class FakePortal(Service):
    """org.freedesktop.portal.Settings serving GNOME's show-banners, new or old style."""

    PATH = "/org/freedesktop/portal/desktop"
    INTERFACE = "org.freedesktop.portal.Settings"

    def __init__(self, address: str, *, read_one: bool) -> None:
        super().__init__(address, "org.freedesktop.portal.Desktop")
        self.banners = True
        if read_one:
            self.handle(self.PATH, self.INTERFACE, "ReadOne", self._read_one)
        self.handle(self.PATH, self.INTERFACE, "Read", self._read)

    def _value(self, msg: Any) -> tuple[str, bool]:
        if tuple(msg.body) != ("org.gnome.desktop.notifications", "show-banners"):
            raise Refused("org.freedesktop.portal.Error.NotFound")
        return ("b", self.banners)

    def _read_one(self, msg: Any) -> Reply:
        return ("v", (self._value(msg),))

    def _read(self, msg: Any) -> Reply:
        return ("v", (("v", self._value(msg)),))  # Read wraps the value once more


@pytest.mark.parametrize("read_one", [True, False], ids=["ReadOne", "Read"])
def test_gnome_banners_off_is_do_not_disturb(dbus_session: str, read_one: bool) -> None:
    portal = FakePortal(dbus_session, read_one=read_one)
    probe = DndProbe(dbus_session, LOG)
    try:
        assert probe.check() is None
        portal.banners = False
        assert probe.check() == DND_ON
    finally:
        probe.close()
        portal.close()


def test_notification_server_inhibited_is_do_not_disturb(dbus_session: str) -> None:
    server = Service(dbus_session, "org.freedesktop.Notifications")
    inhibited = {"value": False}

    def get(msg: Any) -> Reply:
        if tuple(msg.body) != ("org.freedesktop.Notifications", "Inhibited"):
            raise Refused("org.freedesktop.DBus.Error.UnknownProperty")
        return ("v", (("b", inhibited["value"]),))

    server.handle("/org/freedesktop/Notifications", "org.freedesktop.DBus.Properties", "Get", get)
    probe = DndProbe(dbus_session, LOG)
    try:
        assert probe.check() is None
        inhibited["value"] = True
        assert probe.check() == DND_ON
    finally:
        probe.close()
        server.close()


# ---- which probes ------------------------------------------------------------

ALL_ON = QuietConfig(calls=False, processes=("zoom",), fullscreen=True, dnd=True)


def test_build_probes_in_a_full_session(xvfb: str, dbus_session: str) -> None:
    environ = {"DISPLAY": xvfb, "DBUS_SESSION_BUS_ADDRESS": dbus_session}
    probes = build_probes(ALL_ON, environ, LOG)
    try:
        assert [p.name for p in probes] == ["processes", "fullscreen", "dnd"]
        assert ask(probes) == {"processes": None, "fullscreen": None, "dnd": None}
    finally:
        for probe in probes:
            probe.close()


def test_build_probes_says_what_it_cannot_watch(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    probes = build_probes(ALL_ON, {}, LOG)
    assert [p.name for p in probes] == ["processes"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "DISPLAY is not set" in logged
    assert "no D-Bus session bus" in logged


def test_build_probes_honours_the_switches(xvfb: str, dbus_session: str) -> None:
    environ = {"DISPLAY": xvfb, "DBUS_SESSION_BUS_ADDRESS": dbus_session}
    off = QuietConfig(calls=False, processes=(), fullscreen=False, dnd=False)
    assert build_probes(off, environ, LOG) == []


# ---- the combined state --------------------------------------------------------


def test_quiet_state_transitions() -> None:
    state = QuietState()
    steps: list[tuple[str, Transition | None]] = []

    def step(label: str, transition: Transition | None) -> None:
        steps.append((label, transition))

    step("nothing", state.update(0.0, {"processes": None, "dnd": None}))
    step("zoom", state.update(1.0, {"processes": "zoom is running", "dnd": None}))
    step("zoom+dnd", state.update(2.0, {"processes": "zoom is running", "dnd": DND_ON}))
    step("dnd only", state.update(3.0, {"processes": None, "dnd": DND_ON}))
    step("none", state.update(4.0, {"processes": None, "dnd": None}))
    step("outside", state.update(5.0, outside_schedule=True))
    step("still outside", state.update(6.0))
    step("inside", state.update(7.0, outside_schedule=False))
    state.pause(until=20.0)
    step("paused", state.update(8.0))
    step("pause running", state.update(19.9))
    step("pause over", state.update(20.0))
    assert state.paused_until is None
    state.pause()
    step("paused forever", state.update(21.0))
    state.resume()
    step("resumed", state.update(1e9))
    assert steps == [
        ("nothing", None),
        ("zoom", Transition(True, ("zoom is running",))),
        ("zoom+dnd", None),
        ("dnd only", None),
        ("none", Transition(False, ())),
        ("outside", Transition(True, (OUTSIDE_SCHEDULE,))),
        ("still outside", None),
        ("inside", Transition(False, ())),
        ("paused", Transition(True, (PAUSED,))),
        ("pause running", None),
        ("pause over", Transition(False, ())),
        ("paused forever", Transition(True, (PAUSED,))),
        ("resumed", Transition(False, ())),
    ]
    assert Transition(True, ()).event is EventKind.QUIET_START
    assert Transition(False, ()).event is EventKind.QUIET_END


def test_quiet_state_reasons_and_next_check() -> None:
    state = QuietState()
    assert state.next_check(0.0) is None
    state.pause(until=100.0)
    state.update(0.0, {"fullscreen": FULLSCREEN_ON}, outside_schedule=True)
    assert state.quiet
    assert state.reasons(0.0) == (PAUSED, OUTSIDE_SCHEDULE, FULLSCREEN_ON)
    assert state.next_check(0.0) == RECHECK  # a probe holds it: look again in 60 s
    assert state.next_check(90.0) == 100.0  # the pause ends sooner
    state.update(1.0, {"fullscreen": None})
    assert state.next_check(1.0) == 100.0  # the schedule has its own boundaries
    state.resume()
    state.update(2.0)
    assert state.next_check(2.0) is None
    assert state.paused_until is None
    assert state.reasons(2.0) == (OUTSIDE_SCHEDULE,)


def test_every_probe_reports_under_its_own_name(
    program_dir: Path, windows: Windows, notification_server: Any, dbus_session: str, xvfb: str
) -> None:
    """All three reasons at once, each from the probe built for it in this session."""
    proc = start_copy(program_dir, "zoom")
    windows.window(states=("_NET_WM_STATE_FULLSCREEN",))
    notification_server.dunstctl("set-paused", "true")
    environ = {"DISPLAY": xvfb, "DBUS_SESSION_BUS_ADDRESS": dbus_session}
    probes = build_probes(ALL_ON, environ, LOG)
    try:
        assert ask(probes) == {
            "processes": "zoom is running",
            "fullscreen": FULLSCREEN_ON,
            "dnd": DND_ON,
        }
    finally:
        for probe in probes:
            probe.close()
        stop_process(proc)


def test_a_name_longer_than_linux_keeps_is_matched_whole(program_dir: Path) -> None:
    # The kernel keeps 15 characters ("simplescreenrec"); the full name still matches.
    proc = start_copy(program_dir, "simplescreenrecorder")
    try:
        assert ProcessProbe(["simplescreenrecorder"]).check() == ("simplescreenrecorder is running")
        assert ProcessProbe(["simplescreenrec"]).check() is None
    finally:
        stop_process(proc)


def test_with_the_defaults_a_call_app_merely_running_holds_nothing_back(
    program_dir: Path,
) -> None:
    """Teams or Zoom open all day used to silence every prompt; only a screen recorder does."""
    from ergod.config import load_config
    from ergod.environment import Environment

    env = Environment.from_os({"HOME": "/nonexistent", "ERGOD_SYSTEM_DIR": "/nonexistent"})
    quiet = load_config(env).config.quiet
    probes = build_probes(quiet, {}, LOG)  # no sound server, no display, no bus
    assert [p.name for p in probes] == ["calls", "processes"]
    apps = [start_copy(program_dir, name) for name in ("teams", "zoom", "slack", "discord")]
    try:
        assert all(answer is None for answer in ask(probes).values())
        recorder = start_copy(program_dir, "obs")
        try:
            assert ask(probes)["processes"] == "obs is running"
        finally:
            stop_process(recorder)
    finally:
        for app in apps:
            stop_process(app)
        for probe in probes:
            probe.close()
