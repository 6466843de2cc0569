"""docs/panels.md's recipes, run as written against the installed daemon.

Each bar's command is taken out of the page (tests/doc_blocks.py) and run
through `sh`, as the bar would run it. i3blocks itself runs its recipe and
its i3bar output is read; the Argos script runs, and so does every command
of its menu. Waybar's recipe runs in tests/test_tray_waybar.py (it needs a
Wayland compositor). The daemon runs in schedule-only mode, so the lines are
known: sitting since start, class `schedule-only`.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_blocks import DOCS, block
from servers import require_tool, stop_process

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
WAIT = 20.0
CONFIG = """\
[activity]
source = "none"

[notify]
backend = "console"
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("panels")
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp),
        "ERGOD_SYSTEM_DIR": str(tmp / "etc"),
    }
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        (tmp / name).mkdir(mode=0o700)
        env[name] = str(tmp / name)
    (tmp / "panels.toml").write_text(CONFIG)
    log = (tmp / "ergod.log").open("w")
    daemon = subprocess.Popen(
        [str(BIN / "ergod"), "run", "--config", str(tmp / "panels.toml")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT
        while ergod(env, "status").returncode != 0:
            assert time.monotonic() < deadline, (tmp / "ergod.log").read_text()
            time.sleep(0.1)
        yield env
    finally:
        stop_process(daemon)
        log.close()


def ergod(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ergod"), *args], env=env, capture_output=True, text=True, timeout=WAIT
    )


@contextlib.contextmanager
def running(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """`argv` with its stdout piped; it and its children stopped afterwards."""
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        stop_process(proc)


def first_line(env: dict[str, str], command: str) -> str:
    """The first line `sh -c command` prints; the command is then stopped."""
    with running(["sh", "-c", command], env) as proc:
        assert proc.stdout is not None
        return proc.stdout.readline().rstrip("\n")


def ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_the_waybar_command(env: dict[str, str]) -> None:
    module = json.loads(block("panels.md", "Waybar", "json"))["custom/ergod"]
    assert module["return-type"] == "json"
    line = json.loads(first_line(env, module["exec"]))
    assert set(line) == {"text", "alt", "tooltip", "class", "percentage"}
    assert line["class"] == "schedule-only"
    assert line["text"].startswith("sitting ")


def test_the_waybar_style_names_every_class() -> None:
    css = block("panels.md", "Waybar", "css")
    for name in ("ok", "due", "open", "paused", "quiet", "schedule-only", "off"):
        assert f"#custom-ergod.{name}" in css


def test_i3blocks_runs_its_recipe(env: dict[str, str], tmp_path: Path) -> None:
    exe = require_tool("i3blocks")
    config = tmp_path / "i3blocks.conf"
    config.write_text(block("panels.md", "i3blocks", "ini"))
    assert ini(config.read_text())["ergod"]["interval"] == "persist"
    with running([exe, "-c", str(config)], env) as proc:
        assert proc.stdout is not None
        first = _next_block(proc.stdout)
        assert first["name"] == "ergod"
        assert first["full_text"].startswith("sitting ")
        assert not first.get("urgent"), first
        try:
            assert ergod(env, "pause", "30m").returncode == 0
            paused = _next_block(proc.stdout)
        finally:
            assert ergod(env, "resume").returncode == 0
        assert paused["full_text"].startswith("paused until ")
        assert paused["color"].lower() == "#888888"


def _next_block(stream: object) -> dict[str, object]:
    """The ergod block of the next status line i3blocks prints (i3bar protocol)."""
    for raw in stream:  # type: ignore[attr-defined]
        line = raw.strip().lstrip(",")
        if line.startswith("[{"):
            ours = [b for b in json.loads(line) if b.get("name") == "ergod"]
            if ours:
                return ours[0]
    raise AssertionError("i3blocks ended")


def test_the_i3status_rust_command(env: dict[str, str]) -> None:
    (config,) = tomllib.loads(block("panels.md", "i3status-rust", "toml"))["block"]
    assert (config["block"], config["persistent"]) == ("custom", True)
    assert first_line(env, config["command"]).startswith("sitting ")


def test_the_polybar_command(env: dict[str, str]) -> None:
    module = ini(block("panels.md", "Polybar", "ini"))["module/ergod"]
    assert (module["type"], module["tail"]) == ("custom/script", "true")
    assert first_line(env, module["exec"]).startswith("sitting ")


def test_the_argos_script_and_its_menu(env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "ergod.30s.sh"
    script.write_text(block("panels.md", "GNOME Shell", "sh"))
    script.chmod(0o755)
    out = subprocess.run(
        [str(script)], env=env, capture_output=True, text=True, timeout=WAIT, check=True
    ).stdout.splitlines()
    assert out[0].startswith("sitting ")
    assert out[1] == "---"
    menu = dict(
        re.fullmatch(r"(.*?) \| bash='(.*)' terminal=false", item).groups()  # type: ignore[union-attr]
        for item in out[2:]
    )
    assert subprocess.run(["sh", "-c", menu["Pause 30 min"]], env=env, timeout=WAIT).returncode == 0
    assert json.loads(ergod(env, "status", "--json").stdout)["paused_until"] is not None
    assert subprocess.run(["sh", "-c", menu["Resume"]], env=env, timeout=WAIT).returncode == 0
    assert json.loads(ergod(env, "status", "--json").stdout)["paused_until"] is None
    for name in ("Snooze", "Skip"):  # nothing is open: the daemon refuses, exit 1
        done = subprocess.run(["sh", "-c", menu[name]], env=env, capture_output=True, text=True)
        assert done.returncode == 1 and "no break is open" in done.stderr


def test_the_executor_command(env: dict[str, str]) -> None:
    text = (DOCS / "panels.md").read_text()
    (command,) = re.findall(r"With the Executor extension, the command is `(.*?)`", text)
    done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("sitting ") and done.stdout.count("\n") == 1
