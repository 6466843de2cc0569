"""Waybar on headless sway: ergod's bar text and tray icon, seen in a screenshot.

Real parts only: sway 1.7 (headless, as uid nobody), a private session bus
run by that uid, the daemon (`ergod run`, Wayland activity source), and
Waybar 0.9 with docs/panels.md's Waybar configuration and style as written:
its custom module runs `ergod status --follow --format waybar`, its tray
module is the StatusNotifierWatcher and host. `wtype` types, so the person
sits. `grim` takes the bar's picture; the test looks for the class colour of
the text (the style colours it by the JSON's `class`) and the icon's colour.

Then the test acts as the host does when "Pause 30 min" is clicked: dbusmenu
`Event(id, "clicked", ...)` on the item Waybar registered. The daemon
pauses, and the next screenshot shows the paused text and the grey icon.

The screenshots stay in `$ERGOD_TEST_ARTIFACTS` (default `tests/artifacts/`):
`waybar-ok.png` and `waybar-paused.png`. docs/img/waybar.png is a copy of the
first, for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import png
import pytest
from doc_blocks import block
from jeepney import DBusAddress, new_method_call
from servers import require_tool, stop_process
from wayland_support import GID, UID, Sway, as_user, running_sway, running_user_bus, user_ergod

from ergod.dbus import BusLink
from ergod.tray import icons

pytestmark = [pytest.mark.wayland, pytest.mark.e2e]

ARTIFACTS = Path(
    os.environ.get("ERGOD_TEST_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts"
)
WAIT = 30.0
BAR_HEIGHT = 30
BASE_STYLE = """\
* { font-family: "DejaVu Sans"; font-size: 14px; }
window#waybar { background: #202020; color: #ffffff; }
"""
ERGOD_CONFIG = """\
[activity]
source = "wayland"

[notify]
backend = "console"
"""
TEXT_COLOURS = {"ok": (0xA6, 0xE3, 0xA1), "paused": (0x9E, 0x9E, 0x9E)}
WATCHER = "org.kde.StatusNotifierWatcher"
Rgb = tuple[int, int, int]


def owned_dir(path: Path) -> Path:
    path.mkdir()
    os.chown(path, UID, GID)
    return path


def bar_pixels(path: Path) -> list[list[Rgb]]:
    width, _height, rows, _info = png.Reader(filename=str(path)).asRGBA8()
    return [[tuple(row[x : x + 3]) for x in range(0, 4 * width, 4)] for row in rows]  # type: ignore[misc]


def count_near(pixels: list[list[Rgb]], colour: Rgb, xs: range, slack: int) -> int:
    return sum(
        1
        for row in pixels
        for x in xs
        if all(abs(a - b) <= slack for a, b in zip(row[x], colour, strict=True))
    )


class Scene:
    """The session: run ergod commands, take the bar's picture, find the item."""

    def __init__(self, sway: Sway, bin_dir: Path, extra: dict[str, str]) -> None:
        self.sway = sway
        self.bin = bin_dir
        self.extra = extra

    def status(self) -> dict[str, Any] | None:
        done = subprocess.run(
            as_user((str(self.bin / "ergod"), "status", "--json")),
            env=self.sway.env(**self.extra),
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        return json.loads(done.stdout) if done.returncode == 0 else None

    def shot(self, name: str) -> Path:
        inside = self.sway.runtime / name
        self.sway.run("grim", "-g", f"0,0 800x{BAR_HEIGHT}", str(inside))
        return inside

    def wait(self, check: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + WAIT
        while not (result := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.2)
        return result

    def bar_shows(self, name: str, state: str) -> Path | None:
        """The screenshot if the text has `state`'s colour and the icon its disc."""
        path = self.shot(name)
        pixels = bar_pixels(path)
        left, right = range(0, 400), range(600, 800)
        text = count_near(pixels, TEXT_COLOURS[state], left, 24)
        icon = count_near(pixels, icons.COLORS[state], right, 12)
        return path if text >= 10 and icon >= 20 else None


def keep(path: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(path, ARTIFACTS / name))


def host_call(
    link: BusLink, dest: str, path: str, iface: str, member: str, sig: str, *body: Any
) -> Any:
    address = DBusAddress(path, bus_name=dest, interface=iface)
    return link.call(new_method_call(address, member, sig or None, tuple(body)))


def test_waybar_shows_the_text_and_icon_and_its_menu_pauses(tmp_path: Path) -> None:
    for tool in ("waybar", "grim", "wtype"):
        require_tool(tool)
    with running_sway() as sway, running_user_bus(sway) as bus:
        bin_dir = user_ergod(sway)
        waybar_dir = owned_dir(sway.runtime / "waybar")
        (waybar_dir / "config").write_text(block("panels.md", "Waybar", "json"))
        (waybar_dir / "style.css").write_text(BASE_STYLE + block("panels.md", "Waybar", "css"))
        config = sway.runtime / "ergod.toml"
        config.write_text(ERGOD_CONFIG)
        extra = {
            "DBUS_SESSION_BUS_ADDRESS": bus,
            "XDG_CONFIG_HOME": str(owned_dir(sway.runtime / "config")),
            "XDG_STATE_HOME": str(owned_dir(sway.runtime / "state")),
            "ERGOD_SYSTEM_DIR": str(sway.runtime / "etc"),
            "PATH": f"{bin_dir}:/usr/bin:/bin",
        }
        scene = Scene(sway, bin_dir, extra)
        log = tmp_path / "session.log"
        daemon = sway.popen([str(bin_dir / "ergod"), "run", "--config", str(config)], log, **extra)
        waybar = None
        link = BusLink.open(bus, name="test-host")
        try:
            scene.wait(scene.status, "the daemon")
            sway.run("wtype", "a")  # the person sits down
            scene.wait(lambda: (scene.status() or {}).get("sitting_seconds") is not None, "input")
            waybar = sway.popen(
                ["waybar", "-c", str(waybar_dir / "config"), "-s", str(waybar_dir / "style.css")],
                log,
                **extra,
            )
            watcher = DBusAddress("/StatusNotifierWatcher", bus_name=WATCHER, interface=WATCHER)

            def registered() -> list[str]:
                if not link.has_owner(WATCHER):
                    return []
                props = "org.freedesktop.DBus.Properties"
                (items,) = host_call(
                    link,
                    WATCHER,
                    watcher.object_path,
                    props,
                    "Get",
                    "ss",
                    WATCHER,
                    "RegisteredStatusNotifierItems",
                )
                return [i for i in items[1] if "StatusNotifierItem-" in i]

            (item,) = scene.wait(registered, "Waybar to register ergod's item")
            shown = scene.wait(lambda: scene.bar_shows("ok.png", "ok"), "text and icon")
            keep(shown, "waybar-ok.png")

            name, _, path = item.partition("/")
            (menu_path,) = host_call(
                link,
                name,
                "/" + path,
                "org.freedesktop.DBus.Properties",
                "Get",
                "ss",
                "org.kde.StatusNotifierItem",
                "Menu",
            )
            _revision, root = host_call(
                link, name, menu_path[1], "com.canonical.dbusmenu", "GetLayout", "iias", 0, -1, []
            )
            pause = next(c[0] for _s, c in root[2] if c[1].get("label") == ("s", "_Pause 30 min"))
            host_call(
                link,
                name,
                menu_path[1],
                "com.canonical.dbusmenu",
                "Event",
                "isvu",
                pause,
                "clicked",
                ("i", 0),
                int(time.time()) & 0xFFFFFFFF,
            )
            status = scene.wait(lambda: (scene.status() or {}).get("paused_until"), "the pause")
            assert status != "indefinitely"
            paused = scene.wait(lambda: scene.bar_shows("paused.png", "paused"), "paused bar")
            keep(paused, "waybar-paused.png")
        finally:
            link.close()
            if waybar is not None:
                stop_process(waybar)
            stop_process(daemon)
        assert "Traceback" not in log.read_text(errors="replace")
