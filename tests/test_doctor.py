"""`ergod doctor` as a help desk would see it: the installed command on real layers and daemons.

Without a desktop it finds schedule-only mode, console notifications and no
daemon; with a real X server, session bus and dunst, and a real `ergod run`,
it reports what that daemon uses. A broken config file is named.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from servers import NotificationServer, require_tool, stop_process
from test_service_support import ERGOD, ergod, private_env, wait_for_daemon

CHECKS = ["config", "activity", "desktop", "notifications", "store", "service", "daemon", "metrics"]


def doctor(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    done = ergod(env, "doctor", "--json")
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


def test_without_desktop_or_daemon(tmp_path: Path) -> None:
    code, report = doctor(private_env(tmp_path))
    assert code == 1 and report["healthy"] is False
    assert [c["name"] for c in report["checks"]] == CHECKS
    checks = by_name(report)
    assert checks["config"]["status"] == "ok"
    assert checks["activity"]["status"] == "note"
    assert "schedule-only" in checks["activity"]["summary"]
    assert checks["notifications"]["status"] == "note"
    assert "console" in checks["notifications"]["summary"]
    assert checks["store"]["status"] == "note"
    assert checks["daemon"]["status"] == "problem"
    assert "not running" in checks["daemon"]["summary"]
    assert checks["metrics"]["summary"] == "off"


def test_a_broken_config_file_is_named(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    policy = Path(env["ERGOD_SYSTEM_DIR"]) / "policy.d" / "10-it.toml"
    policy.parent.mkdir(parents=True)
    policy.write_text('[breaks.stretch]\nevery = "20 minutes"\n')
    code, report = doctor(env)
    config = by_name(report)["config"]
    assert code == 1 and config["status"] == "problem"
    assert any(str(policy) in line and "every" in line for line in config["details"])
    assert [c["name"] for c in report["checks"]] == CHECKS  # the other layers still checked


def test_human_report_is_one_line_per_check(tmp_path: Path) -> None:
    done = ergod(private_env(tmp_path), "doctor")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].endswith("needs attention")
    for name in CHECKS:
        assert any(line.split()[1:2] == [name] for line in lines), name
    assert done.stderr == ""  # the probes' log lines stay out of the report


@pytest.mark.x11
@pytest.mark.dbus
def test_with_a_desktop_and_a_running_daemon(
    tmp_path: Path, notification_server: NotificationServer
) -> None:
    env = private_env(tmp_path)
    env["DISPLAY"] = os.environ["DISPLAY"]
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    proc = subprocess.Popen(
        [str(ERGOD), "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_daemon(env, proc)
        code, report = doctor(env)
    finally:
        stop_process(proc)
    checks = by_name(report)
    assert checks["notifications"]["status"] == "ok"
    assert checks["notifications"]["summary"].startswith("freedesktop")
    assert checks["activity"]["status"] == "ok"
    assert checks["daemon"]["status"] == "ok"
    assert f"pid {proc.pid}" in checks["daemon"]["summary"]
    assert any("notifications: freedesktop" in d for d in checks["daemon"]["details"])
    assert code == 0 and report["healthy"] is True
    # Probing showed nothing on the desktop.
    assert notification_server.history() == []


def dconf_profile(tmp_path: Path, selected: str) -> Path:
    """A real compiled dconf database holding `selected-breaks`, and a profile reading it."""
    keyfiles = tmp_path / "db.d"
    keyfiles.mkdir()
    (keyfiles / "00").write_text(
        f"[org/gnome/desktop/break-reminders]\nselected-breaks={selected}\n"
    )
    database = tmp_path / "breaks.db"
    subprocess.run(["dconf", "compile", str(database), str(keyfiles)], check=True, timeout=30)
    profile = tmp_path / "profile"
    profile.write_text(f"file-db:{database}\n")
    return profile


def test_gnome_break_reminders_on_are_a_note(tmp_path: Path) -> None:
    require_tool("dconf")
    env = private_env(tmp_path)
    env["DCONF_PROFILE"] = str(dconf_profile(tmp_path, "['movement', 'eyesight']"))
    _, report = doctor(env)
    desktop = by_name(report)["desktop"]
    assert desktop["status"] == "note"
    assert "GNOME's own break reminders are on" in desktop["summary"]
    assert any("(movement, eyesight)" in line for line in desktop["details"])


def test_the_deployment_guides_dconf_snippet_turns_them_off(tmp_path: Path) -> None:
    require_tool("dconf")
    guide = (Path(__file__).parent.parent / "docs" / "deployment.md").read_text()
    assert "selected-breaks=@as []" in guide
    assert "/org/gnome/desktop/break-reminders/selected-breaks" in guide  # the lock
    env = private_env(tmp_path)
    env["DCONF_PROFILE"] = str(dconf_profile(tmp_path, "@as []"))
    _, report = doctor(env)
    desktop = by_name(report)["desktop"]
    assert not any("break reminders" in line for line in desktop["details"])
    # No display and no compositor here: full-screen detection is off, and says why.
    assert desktop["summary"] == "full-screen detection is off"
