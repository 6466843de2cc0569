""" "This hurts" clicked in dunst, through the installed `ergod run` (issue 11).

dunst's context menu (`dunstctl action 0`) runs a picker that chooses the
"This hurts" line (the `menu_dunst` fixture of tests/test_notify_freedesktop.py),
as a click on the button would. The daemon runs in schedule-only mode, so its
stretch prompt comes by the clock. After the click: the exercise is in
`[exercises] disabled` of the user's file (`ergod config show --origin` says
so), the break is skipped, and the notice with the red-flag tiers went to the
notification server (seen on the bus by dbus-monitor).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bus_monitor import BusMonitor
from daemon_support import Daemon, ergod, outcomes, private_env, status, stored, wait_for
from test_notify_freedesktop import menu_dunst  # noqa: F401 - a fixture

pytestmark = pytest.mark.e2e

CONFIG = (
    '[activity]\nsource = "none"\n\n[breaks.stretch]\nevery = "2s"\nduration = "1s"\n'
    'grace = "60s"\nrepeat = "60s"\n\n[breaks.movement]\nenabled = false\n\n'
    '[notify]\nbackend = "freedesktop"\ntimeout = "60s"\n'
)


def test_this_hurts_in_dunst_switches_the_exercise_off_skips_and_shows_the_tiers(
    tmp_path: Path,
    menu_dunst: tuple[Path, dict[str, str]],  # noqa: F811 - the fixture
) -> None:
    choice, dunst_env = menu_dunst
    choice.write_text("This hurts")
    env = private_env(
        tmp_path,
        DISPLAY=dunst_env["DISPLAY"],
        DBUS_SESSION_BUS_ADDRESS=dunst_env["DBUS_SESSION_BUS_ADDRESS"],
    )
    config = tmp_path / "hurts.toml"
    config.write_text(CONFIG)
    with (
        BusMonitor(env["DBUS_SESSION_BUS_ADDRESS"]) as monitor,
        Daemon(env, "--config", str(config), log=tmp_path / "ergod.log") as daemon,
    ):
        wait_for(lambda: (status(env) or {}).get("open_break"), 30, "the stretch prompt")
        monitor._wait(lambda: "This hurts" in monitor.text(), "the prompt's button")
        subprocess.run(["dunstctl", "action", "0"], env=dunst_env, check=True, timeout=20)
        wait_for(lambda: outcomes(env).get("stretch:skipped"), 20, "the skipped break")
        monitor._wait(lambda: "no longer offered" in monitor.text(), "the hurt notice")
        assert "Urgent care now" in monitor.text()
        assert daemon.stop() == 0, daemon.read()
    exercise = stored(env)["breaks"][0][2]
    assert exercise
    shown = ergod(env, "config", "show", "--origin")
    assert shown.returncode == 0, shown.stderr
    disabled = [line for line in shown.stdout.splitlines() if "disabled" in line]
    assert disabled and "config.toml" in disabled[0], shown.stdout
    user_file = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    assert "disabled" in user_file.read_text()
