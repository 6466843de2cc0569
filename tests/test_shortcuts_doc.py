"""docs/shortcuts.md, run as written where the desktop runs here.

* sway: the page's `bindsym` lines go into a headless sway's configuration
  (as uid nobody); `wtype` presses Super+Alt+P, R, S and K on sway's virtual
  keyboard, and the daemon in that session pauses, resumes, snoozes and skips.
* GNOME: the page's gsettings script runs against the real schema (GLib's
  keyfile backend in a temporary directory); every binding reads back.
* Hyprland and Talon cannot run here: their lines must name exactly the
  page's commands.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import blocks
from servers import require_tool, stop_process
from test_faults_store import fast_config
from wayland_support import GID, UID, as_user, running_sway, user_ergod

COMMANDS = {"ergod snooze", "ergod skip", "ergod pause 30m", "ergod resume"}
WAIT = 30.0
ERGOD_CONFIG = '[activity]\nsource = "none"\n\n' + fast_config(3, 2, 60)  # a prompt every 3 s


def section(heading: str, language: str = "") -> str:
    found = [text for lang, text in blocks("shortcuts.md", heading) if lang == language]
    assert len(found) == 1, heading
    return found[0]


def test_the_page_binds_exactly_its_commands() -> None:
    sway = re.findall(r"exec (.+)", section("sway and i3"))
    hyprland = re.findall(r"exec, (.+)", section("Hyprland"))
    talon = re.findall(r'system_command_nb\("(.+)"\)', section("Voice"))
    gnome = re.findall(r'"(ergod [^"]+)"', section("GNOME", "sh"))
    for found in (sway, hyprland, talon, gnome):
        assert set(found) == COMMANDS, found


def test_the_gnome_script_sets_every_binding(tmp_path: Path) -> None:
    gsettings = require_tool("gsettings")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GSETTINGS_BACKEND": "keyfile",
    }
    subprocess.run(["sh", "-e", "-c", section("GNOME", "sh")], env=env, check=True, timeout=WAIT)

    def get(schema: str, key: str) -> str:
        done = subprocess.run(
            [gsettings, "get", schema, key], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    media = "org.gnome.settings-daemon.plugins.media-keys"
    paths = re.findall(r"'([^']+)'", get(media, "custom-keybindings"))
    assert len(paths) == 4
    found = {}
    for path in paths:
        schema = f"{media}.custom-keybinding:{path}"
        found[get(schema, "command").strip("'")] = get(schema, "binding").strip("'")
    assert found == {
        "ergod snooze": "<Super><Alt>s",
        "ergod skip": "<Super><Alt>k",
        "ergod pause 30m": "<Super><Alt>p",
        "ergod resume": "<Super><Alt>r",
    }


@pytest.mark.wayland
@pytest.mark.e2e
def test_sway_bindings_answer_the_daemon(tmp_path: Path) -> None:
    require_tool("wtype")
    with running_sway(section("sway and i3")) as sway:
        ergod = str(user_ergod(sway) / "ergod")
        config = sway.runtime / "ergod.toml"
        config.write_text(ERGOD_CONFIG)
        extra = {"ERGOD_SYSTEM_DIR": str(sway.runtime / "etc")}
        for name in ("config", "state"):
            (sway.runtime / name).mkdir()
            os.chown(sway.runtime / name, UID, GID)
            extra[f"XDG_{name.upper()}_HOME"] = str(sway.runtime / name)
        daemon = sway.popen(
            [ergod, "run", "--config", str(config)], tmp_path / "ergod.log", **extra
        )

        def status() -> dict[str, Any]:
            done = subprocess.run(
                as_user((ergod, "status", "--json")),
                env=sway.env(**extra),
                capture_output=True,
                text=True,
                timeout=WAIT,
            )
            return json.loads(done.stdout) if done.returncode == 0 else {}

        def press(key: str) -> None:  # Super+Alt+key on sway's virtual keyboard
            sway.run("wtype", "-M", "logo", "-M", "alt", "-k", key, "-m", "alt", "-m", "logo")

        def wait(check: Callable[[dict[str, Any]], Any], what: str) -> dict[str, Any]:
            deadline = time.monotonic() + WAIT
            while not check(current := status()):
                assert time.monotonic() < deadline, f"no {what}: {current}"
                time.sleep(0.2)
            return current

        try:
            wait(lambda s: s.get("open_break"), "open break (schedule-only, every 3 s)")
            press("s")
            wait(lambda s: (s.get("open_break") or {}).get("snoozes") == 1, "snooze")
            press("k")
            wait(
                lambda s: (
                    {"kind": "stretch", "outcome": "skipped", "count": 1} in s.get("today", [])
                ),
                "skip",
            )
            press("p")
            paused = wait(lambda s: s.get("paused_until"), "pause")
            assert paused["paused_until"] != "indefinitely"
            press("r")
            wait(lambda s: s and s.get("paused_until") is None, "resume")
        finally:
            stop_process(daemon)
