"""End to end: the installed daemon's tray icon, clicked as a host clicks it.

`ergod run` on Xvfb with a private bus, dunst, and a StatusNotifierWatcher
(the recording one of tests/dbus_services.py; tests/test_tray_waybar.py has
Waybar's). The test plays the tray host with dbusmenu calls and checks what
the daemon did: the exercise card and the prompt in dunst (with the
configured sound, read off the bus), a snooze and a pause in `status`, the
week's summary written and handed by xdg-open to the desktop's HTML
application, and the icon
gone from the bus after a reload with `[tray] enabled = false`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import test_e2e_daemon
from bus_monitor import BusMonitor
from daemon_support import ERGOD, Daemon, ergod, status, wait_for
from dbus_services import StatusNotifierWatcher
from jeepney import DBusAddress, new_method_call
from servers import NotificationServer, require_tool
from test_faults_store import fast_config
from test_tray import recording_browser

from ergod.dbus import BusLink

pytestmark = pytest.mark.e2e
ergod_env = test_e2e_daemon.ergod_env  # the fixture: temporary XDG dirs beside dunst

# Schedule-only: a stretch prompt every 4 s; the [notify] table ends fast_config.
CONFIG = (
    '[activity]\nsource = "none"\n\n'
    + fast_config(4, 2, 60, backend="freedesktop")
    + 'sound = "~/chime.oga"\n\n[tray]\nenabled = {enabled}\n'
)
MENU = "com.canonical.dbusmenu"


class Host:
    """The tray host's side: the menu's layout and clicks on labels."""

    def __init__(self, address: str, name: str) -> None:
        self.link = BusLink.open(address, name="test-host")
        self.name = name

    def call(self, path: str, iface: str, member: str, sig: str, *body: Any) -> Any:
        address = DBusAddress(path, bus_name=self.name, interface=iface)
        return self.link.call(new_method_call(address, member, sig or None, tuple(body)))

    def entries(self) -> dict[str, tuple[int, bool]]:
        """label -> (id, enabled), the submenus' entries included."""
        _revision, root = self.call("/MenuBar", MENU, "GetLayout", "iias", 0, -1, [])
        found: dict[str, tuple[int, bool]] = {}
        todo = [root]
        while todo:
            item_id, props, children = todo.pop()
            if "label" in props:
                found[props["label"][1]] = (item_id, props.get("enabled", ("b", True))[1])
            todo += [child for _sig, child in children]
        return found

    def click(self, label: str) -> None:
        item_id, enabled = self.entries()[label]
        assert enabled, f"{label} is disabled"
        self.call("/MenuBar", MENU, "Event", "isvu", item_id, "clicked", ("i", 0), 0)

    def tooltip(self) -> str:
        (value,) = self.call(
            "/StatusNotifierItem",
            "org.freedesktop.DBus.Properties",
            "Get",
            "ss",
            "org.kde.StatusNotifierItem",
            "ToolTip",
        )
        return str(value[1][3])


def test_the_tray_menu_drives_the_daemon(
    tmp_path: Path, ergod_env: dict[str, str], notification_server: NotificationServer
) -> None:
    require_tool("xdg-open")
    env = {**ergod_env, "HOME": str(tmp_path)}
    opened = recording_browser(tmp_path, Path(env["XDG_CONFIG_HOME"]))
    config = tmp_path / "tray.toml"
    config.write_text(CONFIG.format(enabled="true"))
    bus = env["DBUS_SESSION_BUS_ADDRESS"]
    watcher = StatusNotifierWatcher(bus)
    monitor = BusMonitor(bus)
    with Daemon(env, "--config", str(config)):
        try:
            wait_for(lambda: watcher.items, 20, "the tray to register")
            host = Host(bus, watcher.items[0][1])

            host.click("Far look")  # Exercises submenu: the card as a notification
            notification_server.wait_for(
                lambda items: any(n["summary"].startswith("Far look") for n in items)
            )

            wait_for(lambda: (status(env) or {}).get("open_break"), 20, "a prompt")
            hints = monitor.wait_for(lambda calls: any("sound-file" in c for c in calls))
            assert [c["sound-file"] for c in hints if "sound-file" in c] == [
                str(tmp_path / "chime.oga")
            ]
            wait_for(lambda: host.entries()["_Snooze"][1], 20, "Snooze to be clickable")
            host.click("_Snooze")
            wait_for(
                lambda: ((status(env) or {}).get("open_break") or {}).get("snoozes") == 1,
                20,
                "the snooze",
            )

            host.click("This _week's summary")
            wait_for(opened.exists, 60, "xdg-open to call the browser")
            page = Path(opened.read_text().strip())
            assert page.parent == Path(env["XDG_RUNTIME_DIR"]) / "ergod"
            assert "<html" in page.read_text().lower()

            host.click("Pause _1 h")
            wait_for(lambda: (status(env) or {}).get("paused_until"), 20, "the pause")
            wait_for(lambda: "Paused until" in host.tooltip(), 20, "the tooltip")

            config.write_text(CONFIG.format(enabled="false"))
            assert ergod(env, "reload").returncode == 0
            wait_for(lambda: not host.link.has_owner(host.name), 20, "the icon to go")
            assert json.loads(ergod(env, "status", "--json").stdout)["pid"]
        finally:
            monitor.close()
            watcher.close()
    assert ERGOD.exists()
