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

CHECKS = [
    "config",
    "activity",
    "desktop",
    "notifications",
    "store",
    "quiet",
    "service",
    "daemon",
    "metrics",
]


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


def test_quiet_notes_a_listed_program_that_held_every_break_back(tmp_path: Path) -> None:
    """A real process named like a listed screen recorder and a real store of
    suppressed breaks; the doctor is asked as if three hours had passed since
    the program started (a process start time cannot be set in the past)."""
    import logging
    import shutil
    import time
    from datetime import datetime, timezone

    from ergod.config import load_config
    from ergod.core.model import BreakRecord, Outcome
    from ergod.core.rules import Kind
    from ergod.environment import Environment
    from ergod.fleet.doctor import Status, check_quiet
    from ergod.store import StoreWriter

    program = tmp_path / "obs"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    proc = subprocess.Popen([str(program), "60"])
    try:
        env = Environment.from_os(private_env(tmp_path))
        config = load_config(env).config
        started = time.time()
        later = started + 3 * 3600
        writer = StoreWriter(config.store.db_path(env), logging.getLogger("test"))
        writer.start()

        def wall(t: float) -> datetime:
            return datetime.fromtimestamp(started + t, timezone.utc)

        for due in (1800.0, 3600.0, 5400.0):
            suppressed = BreakRecord(
                Kind.MOVEMENT, due, None, 0, 0, Outcome.SUPPRESSED, due, None, None
            )
            writer.break_record(suppressed, wall)
        assert writer.flush()
        check = check_quiet(env, config, now=later)
        assert check.status is Status.NOTE
        assert check.summary == "a listed program holds every break back"
        assert "obs has run for 3 h and all 3 breaks since were suppressed" in check.details[0]
        now = check_quiet(env, config)
        assert now.status is Status.OK  # a minute in: nothing to say
        assert now.summary.startswith("calls: camera watched; no sound server found")

        shown = BreakRecord(Kind.STRETCH, 6000.0, 6000.0, 1, 0, Outcome.TAKEN, 6030.0, 30.0, None)
        writer.break_record(shown, wall)
        assert writer.close()
        assert check_quiet(env, config, now=later).status is Status.OK  # a prompt got through
    finally:
        stop_process(proc)
