"""The tray icon (ergod/tray) on a real private session bus.

The host side is played three ways: a jeepney client making the calls a
tray host makes (Properties.GetAll, GetLayout, Event "clicked"), GLib's
`gdbus introspect`, and libdbusmenu's own client (`dbusmenu-dumper`, the
library Waybar's tray menu is built on). The watcher is a recording stand-in
(tests/dbus_services.py); tests/test_tray_waybar.py runs Waybar's own.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from dbus_services import StatusNotifierWatcher
from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, new_method_call
from servers import require_tool

from ergod.daemon.barview import Glance, State
from ergod.daemon.control import Command, ControlError, Request
from ergod.dbus import BusLink, DBusCallError
from ergod.store.schema import open_store
from ergod.tray import actions, icons, menu
from ergod.tray.service import ITEM_IFACE, ITEM_PATH, MENU_IFACE, MENU_PATH, Tray

pytestmark = pytest.mark.dbus

WAIT = 10.0
PROPS = "org.freedesktop.DBus.Properties"
EXERCISES = (("far_look", "Far look"), ("desk_push_up", "Desk_push up"))


def glance(state: State = State.OK, **changes: Any) -> Glance:
    values: dict[str, Any] = {
        "state": state,
        "sitting_minutes": 34,
        "next_kind": "stretch",
        "next_minutes": 6,
        "open_kind": "stretch" if state is State.OPEN else None,
        "percentage": 56,
        "paused": state is State.PAUSED,
        "paused_until": None,
        "quiet": (),
        "mode": "idle-first",
        "source": "x11",
    }
    values.update(changes)
    return Glance(**values)


@dataclass
class RecordingHost:
    """The daemon's side of `TrayHost`: records what the tray asked for."""

    requests: queue.Queue[Request] = field(default_factory=queue.Queue)
    exercises: queue.Queue[str] = field(default_factory=queue.Queue)
    summaries: queue.Queue[bool] = field(default_factory=queue.Queue)
    refreshes: queue.Queue[bool] = field(default_factory=queue.Queue)

    def request(self, request: Request) -> Mapping[str, object]:
        self.requests.put(request)
        if request.command is Command.SKIP:
            raise ControlError("nothing to skip: no break is open")
        return {"message": f"{request.command.value} done"}

    def host(self) -> actions.TrayHost:
        return actions.TrayHost(
            request=self.request,
            show_exercise=self.exercises.put,
            open_summary=lambda: self.summaries.put(True),
            refresh=lambda: self.refreshes.put(True),
        )


class Host:
    """A tray host's side of the bus: calls, and the signals the item sends."""

    def __init__(self, address: str) -> None:
        self.signals: queue.Queue[str] = queue.Queue()
        self.link = BusLink.open(address, on_message=self._on_message, name="test-host")
        self.link.add_match(MatchRule(type="signal", interface=ITEM_IFACE))
        self.link.add_match(MatchRule(type="signal", interface=MENU_IFACE))

    def _on_message(self, msg: Message) -> None:
        fields = msg.header.fields
        if msg.header.message_type == MessageType.signal and fields.get(HeaderFields.interface) in (
            ITEM_IFACE,
            MENU_IFACE,
        ):
            self.signals.put(str(msg.header.fields[HeaderFields.member]))

    def call(self, dest: str, path: str, iface: str, member: str, sig: str = "", *body: Any) -> Any:
        address = DBusAddress(path, bus_name=dest, interface=iface)
        return self.link.call(new_method_call(address, member, sig or None, tuple(body)))

    def item(self, dest: str) -> dict[str, Any]:
        (props,) = self.call(dest, ITEM_PATH, PROPS, "GetAll", "s", ITEM_IFACE)
        return {name: value for name, (_sig, value) in props.items()}

    def layout(self, dest: str) -> tuple[int, Any]:
        revision, root = self.call(dest, MENU_PATH, MENU_IFACE, "GetLayout", "iias", 0, -1, [])
        return revision, root

    def click(self, dest: str, item_id: int) -> None:
        self.call(dest, MENU_PATH, MENU_IFACE, "Event", "isvu", item_id, "clicked", ("i", 0), 0)

    def drain(self) -> list[str]:
        seen = []
        while not self.signals.empty():
            seen.append(self.signals.get_nowait())
        return seen

    def wait_signal(self, name: str) -> list[str]:
        """Every signal up to and including the first `name`, in bus order."""
        seen: list[str] = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                seen.append(self.signals.get(timeout=0.2))
            except queue.Empty:
                continue
            if seen[-1] == name:
                return seen
        raise AssertionError(f"no {name} signal; saw {seen}")

    def close(self) -> None:
        self.link.close()


@pytest.fixture
def recorded() -> RecordingHost:
    return RecordingHost()


@pytest.fixture
def tray(dbus_session: str, recorded: RecordingHost) -> Iterator[Tray]:
    started = Tray({"DBUS_SESSION_BUS_ADDRESS": dbus_session}, recorded.host(), _log())
    assert started.start()
    started.configure(EXERCISES, resume_minute=8 * 60)
    started.show(glance())
    yield started
    started.stop()


@pytest.fixture
def host(dbus_session: str) -> Iterator[Host]:
    client = Host(dbus_session)
    yield client
    client.close()


def _log() -> logging.Logger:
    return logging.getLogger("test.tray")


def wait_until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return result


def labels(root: Any) -> list[str]:
    out = []
    for _sig, child in root[2]:
        props = child[1]
        out.append(props["label"][1] if "label" in props else "---")
    return out


def test_registers_only_once_a_watcher_exists(
    dbus_session: str, tray: Tray, recorded: RecordingHost
) -> None:
    assert not tray.watching
    watcher = StatusNotifierWatcher(dbus_session)
    try:
        wait_until(lambda: watcher.items, "a registration")
        assert [service for _sender, service in watcher.items] == [tray.name]
        wait_until(lambda: tray.watching, "the tray to count as watched")
        assert recorded.refreshes.get(timeout=WAIT)
    finally:
        watcher.close()
    wait_until(lambda: not tray.watching, "the tray to see the watcher go")


def test_registers_at_start_where_a_watcher_is(dbus_session: str, recorded: RecordingHost) -> None:
    watcher = StatusNotifierWatcher(dbus_session)
    late = Tray({"DBUS_SESSION_BUS_ADDRESS": dbus_session}, recorded.host(), _log())
    try:
        assert late.start()
        assert late.watching
        assert [service for _sender, service in watcher.items] == [late.name]
    finally:
        late.stop()
        watcher.close()


def test_no_session_bus_leaves_the_tray_off(recorded: RecordingHost) -> None:
    off = Tray({}, recorded.host(), _log())
    assert not off.start()
    assert not off.watching


def test_the_item_shows_the_state_as_icon_tooltip_and_status(host: Host, tray: Tray) -> None:
    props = host.item(tray.name)
    assert (props["Id"], props["Category"], props["Status"]) == (
        "ergod",
        "ApplicationStatus",
        "Active",
    )
    assert props["ItemIsMenu"] is True
    assert props["Menu"] == MENU_PATH
    assert [tuple(p) for p in props["IconPixmap"]] == list(icons.pixmaps("ok"))
    _icon, _pixmaps, title, text = props["ToolTip"]
    assert title == "ergod"
    assert text == "Sitting for 34 min\nNext: stretch break in 6 min"
    host.drain()
    tray.show(glance(State.OPEN))
    host.wait_signal("NewIcon")
    after = host.item(tray.name)
    assert after["Status"] == "NeedsAttention"
    assert [tuple(p) for p in after["IconPixmap"]] == list(icons.pixmaps("open"))
    assert "Open: stretch break" in after["ToolTip"][3]


def test_an_unchanged_glance_sends_no_signal(host: Host, tray: Tray) -> None:
    # The fixture's configure() and first show(), then the pause.
    assert host.wait_signal("NewToolTip") == ["LayoutUpdated", "NewIcon", "NewStatus", "NewToolTip"]
    tray.show(glance(State.PAUSED))
    host.wait_signal("LayoutUpdated")  # Resume became clickable
    tray.show(glance(State.PAUSED))  # nothing new: no signal
    tray.show(glance(State.OK, sitting_minutes=35))
    assert host.wait_signal("LayoutUpdated") == [
        "NewIcon",
        "NewStatus",
        "NewToolTip",
        "LayoutUpdated",
    ]


def test_the_menu_layout_and_what_is_clickable(host: Host, tray: Tray) -> None:
    revision, root = host.layout(tray.name)
    assert root[0] == 0
    assert labels(root) == [
        "_Pause 30 min",
        "Pause _1 h",
        "Pause until _tomorrow",
        "_Resume",
        "---",
        "_Snooze",
        "S_kip",
        "---",
        "This _week's summary",
        "_Exercises",
    ]
    disabled = [child[1]["label"][1] for _s, child in root[2] if "enabled" in child[1]]
    assert disabled == ["_Resume", "_Snooze", "S_kip"]
    exercises = root[2][-1][1]
    assert exercises[1]["children-display"] == ("s", "submenu")
    assert labels(exercises) == ["Far look", "Desk__push up"]  # shown as written
    tray.show(glance(State.OPEN))
    host.wait_signal("LayoutUpdated")
    newer, opened = host.layout(tray.name)
    assert newer > revision
    assert [c[1].get("enabled") for _s, c in opened[2][5:7]] == [None, None]


def test_clicks_do_what_the_entries_say(host: Host, tray: Tray, recorded: RecordingHost) -> None:
    host.click(tray.name, 1)
    assert recorded.requests.get(timeout=WAIT) == Request(Command.PAUSE, 1800.0, "en")
    host.click(tray.name, 2)
    assert recorded.requests.get(timeout=WAIT) == Request(Command.PAUSE, 3600.0, "en")
    host.click(tray.name, 9)
    assert recorded.summaries.get(timeout=WAIT)
    host.click(tray.name, menu.EXERCISE_BASE + 1)
    assert recorded.exercises.get(timeout=WAIT) == "desk_push_up"
    host.click(tray.name, 7)  # Skip is disabled: no break open
    tray.show(glance(State.OPEN))
    host.click(tray.name, 6)
    # Snooze, not the skip; in English, for the log.
    assert recorded.requests.get(timeout=WAIT) == Request(Command.SNOOZE, language="en")
    host.click(tray.name, 7)
    assert recorded.requests.get(timeout=WAIT) == Request(Command.SKIP, language="en")


def test_event_group_reports_unknown_ids(host: Host, tray: Tray, recorded: RecordingHost) -> None:
    (missing,) = host.call(
        tray.name,
        MENU_PATH,
        MENU_IFACE,
        "EventGroup",
        "a(isvu)",
        [(4242, "clicked", ("i", 0), 0), (2, "clicked", ("i", 0), 0)],
    )
    assert missing == [4242]
    assert recorded.requests.get(timeout=WAIT) == Request(Command.PAUSE, 3600.0, "en")


def test_unknown_methods_and_properties_are_errors(host: Host, tray: Tray) -> None:
    with pytest.raises(DBusCallError, match="UnknownMethod"):
        host.call(tray.name, ITEM_PATH, ITEM_IFACE, "Dance")
    with pytest.raises(DBusCallError, match="UnknownProperty"):
        host.call(tray.name, ITEM_PATH, PROPS, "Get", "ss", ITEM_IFACE, "Colour")
    (version,) = host.call(tray.name, MENU_PATH, PROPS, "Get", "ss", MENU_IFACE, "Version")
    assert version == ("u", 3)


def test_gdbus_reads_the_introspection(dbus_session: str, tray: Tray) -> None:
    gdbus = require_tool("gdbus")

    def introspect(path: str, *extra: str) -> str:
        argv = [gdbus, "introspect", "--address", dbus_session, "--dest", tray.name]
        argv += ["--object-path", path, *extra]
        return subprocess.run(argv, capture_output=True, text=True, timeout=WAIT, check=True).stdout

    assert f"interface {ITEM_IFACE}" in introspect(ITEM_PATH)
    assert f"interface {MENU_IFACE}" in introspect(MENU_PATH)
    item = introspect(ITEM_PATH, "--only-properties")
    assert "readonly a(iiay) IconPixmap" in item
    assert "readonly (sa(iiay)ss) ToolTip" in item


def test_libdbusmenu_reads_the_menu(dbus_session: str, tray: Tray) -> None:
    """dbusmenu-dumper is libdbusmenu-glib's client, the one under Waybar's menus."""
    dumper = require_tool_at("/usr/libexec/dbusmenu-dumper")
    done = subprocess.run(
        [dumper, f"--dbus-name={tray.name}", f"--dbus-object={MENU_PATH}"],
        env={"DBUS_SESSION_BUS_ADDRESS": dbus_session, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    for label in ("_Pause 30 min", "Pause until _tomorrow", "S_kip", "Far look"):
        assert f"'{label}'" in done.stdout, done.stdout


def require_tool_at(path: str) -> str:
    if not Path(path).exists():
        return require_tool(Path(path).name)  # skips, or fails under CI
    return path


def test_perform_pauses_until_the_schedule_start() -> None:
    recorded = RecordingHost()
    said = actions.perform(
        menu.Choice(menu.PAUSE_TOMORROW), recorded.host(), 8 * 60, datetime(2026, 3, 2, 17, 0)
    )
    assert said == "pause done"
    assert recorded.requests.get_nowait() == Request(Command.PAUSE, 15 * 3600.0, "en")
    refused = actions.perform(menu.Choice(menu.SKIP), recorded.host(), 0, datetime(2026, 3, 2))
    assert refused == "nothing to skip: no break is open"


def recording_browser(home: Path, config_home: Path) -> Path:
    """Make a recorder the desktop's HTML application, the way a desktop does
    (a .desktop file and mimeapps.list); the file it writes the opened path to."""
    opened = home / "opened.txt"
    browser = home / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    applications = home / ".local" / "share" / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / "recorder.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Recorder\nExec={browser} %f\n"
        "MimeType=text/html;\n"
    )
    config_home.mkdir(parents=True, exist_ok=True)
    (config_home / "mimeapps.list").write_text(
        "[Default Applications]\ntext/html=recorder.desktop\n"
    )
    return opened


def test_the_summary_is_written_and_opened_with_xdg_open(tmp_path: Path) -> None:
    """The installed `ergod summary` writes it; xdg-open hands it to the HTML application."""
    require_tool("xdg-open")
    opened = recording_browser(tmp_path, tmp_path / "config")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    open_store(tmp_path / "state" / "ergod" / "ergod.db").close()  # the daemon made it
    environ = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ERGOD_SYSTEM_DIR": str(tmp_path / "etc"),
        "DISPLAY": ":99",  # xdg-open asks the desktop's choice only in a graphical session
    }
    actions.open_week_summary(runtime, (), environ, _log())
    wait_until(opened.exists, "xdg-open to call the browser")
    page = Path(opened.read_text().strip())
    assert page == runtime / actions.SUMMARY_FILE
    assert "<html" in page.read_text().lower()
