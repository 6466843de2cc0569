"""Login start: the unit systemd would load, `ergod service` on real files, the notify handshake.

systemd-analyze verifies the units; `systemctl --root --global` enables for
real in a temporary tree; the installed `ergod run` talks the notify protocol
to a datagram socket of the test, as systemd's manager would read it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from servers import require_tool, stop_process
from test_service_support import ERGOD, REPO, ergod, private_env

from ergod.environment import Environment
from ergod.fleet import service
from ergod.fleet.service import PACKAGED_EXECUTABLE, render_autostart, render_unit


def verify(unit: Path, *, user: bool) -> str:
    """systemd-analyze's complaints about `unit` ("" when it has none)."""
    tool = require_tool("systemd-analyze")
    # The user manager's lookup paths need a runtime directory, not a running
    # manager; a short one, since the sockets under it must fit a unix address
    # (108 bytes), which a nested pytest tmp_path (xdist's included) may not.
    with tempfile.TemporaryDirectory(prefix="ergod-rt-") as runtime:
        env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
        argv = [tool, *(["--user"] if user else []), "verify", "--man=no", str(unit)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    # Unknown keys are only warnings (exit 0): any output at all is a finding.
    return (done.stdout + done.stderr).strip() or ("" if done.returncode == 0 else "failed")


def test_rendered_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = tmp_path / "ergod.service"
    unit.write_text(render_unit(ERGOD))
    assert verify(unit, user=True) == ""


def test_verify_catches_a_bad_key(tmp_path: Path) -> None:
    """The check above can fail: a misspelt option is reported."""
    unit = tmp_path / "ergod.service"
    unit.write_text(render_unit(ERGOD).replace("Restart=", "Restrat="))
    assert "Restrat" in verify(unit, user=True)


def test_shipped_unit_is_the_rendered_one_for_usr_bin() -> None:
    shipped = (REPO / "systemd" / "ergod.service").read_text()
    assert shipped == render_unit(PACKAGED_EXECUTABLE)
    for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in shipped
    assert "Restart=on-failure" in shipped
    assert "ProtectHome" not in shipped
    assert "WantedBy=graphical-session.target" in shipped


def test_shipped_metrics_collector_units_verify(tmp_path: Path) -> None:
    for name in ("ergod-metrics-collect.service", "ergod-metrics-collect.timer"):
        text = (REPO / "systemd" / name).read_text()
        # Verify checks that ExecStart exists: point it at this ergod.
        (tmp_path / name).write_text(text.replace(str(PACKAGED_EXECUTABLE), str(ERGOD)))
    assert verify(tmp_path / "ergod-metrics-collect.service", user=False) == ""
    assert verify(tmp_path / "ergod-metrics-collect.timer", user=False) == ""


def test_dry_run_prints_the_unit_and_the_commands_and_writes_nothing(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    done = ergod(env, "service", "install", "--user", "--dry-run")
    assert done.returncode == 0, done.stderr
    unit_path = tmp_path / "xdg_config_home" / "systemd" / "user" / "ergod.service"
    assert f"# {unit_path}" in done.stdout
    assert f"ExecStart={ERGOD} run" in done.stdout
    assert "Type=notify" in done.stdout
    assert f"write {unit_path}" in done.stdout
    assert "run systemctl --user daemon-reload" in done.stdout
    assert "run systemctl --user enable --now ergod.service" in done.stdout
    assert not unit_path.exists()


def _has_user_manager() -> bool:
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return False
    done = subprocess.run(
        [systemctl, "--user", "is-system-running"], capture_output=True, text=True, timeout=10
    )
    # "offline" (and a bus error) when no manager runs for this user.
    return done.stdout.strip() in {"running", "degraded", "starting", "initializing", "stopping"}


def test_install_without_a_user_manager_fails_clearly(tmp_path: Path) -> None:
    if _has_user_manager():
        pytest.skip("this machine has a systemd user manager; installing would enable ergod")
    env = private_env(tmp_path)
    done = ergod(env, "service", "install", "--user")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "systemd user manager" in done.stderr
    assert "ergod service install --autostart" in done.stderr


def test_autostart_install_is_idempotent_and_uninstall_removes_it(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    desktop = tmp_path / "xdg_config_home" / "autostart" / "ergod.desktop"
    first = ergod(env, "service", "install", "--autostart")
    assert first.returncode == 0, first.stderr
    assert desktop.read_text() == render_autostart(ERGOD)
    assert f"Exec={ERGOD} run" in desktop.read_text()
    assert "X-systemd-skip=true" in desktop.read_text()
    written = desktop.stat().st_mtime_ns

    second = ergod(env, "service", "install", "--autostart")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("nothing to do")
    assert desktop.stat().st_mtime_ns == written

    assert ergod(env, "service", "uninstall", "--autostart").returncode == 0
    assert not desktop.exists()
    again = ergod(env, "service", "uninstall", "--autostart")
    assert again.returncode == 0 and again.stdout.startswith("nothing to do")


def test_global_install_enables_for_every_user_under_a_root(tmp_path: Path) -> None:
    require_tool("systemctl")
    env = private_env(tmp_path)
    root = tmp_path / "root"
    unit = root / "etc" / "systemd" / "user" / "ergod.service"
    wants = root / "etc" / "systemd" / "user" / "graphical-session.target.wants" / "ergod.service"

    first = ergod(env, "service", "install", "--global", "--root", str(root))
    assert first.returncode == 0, first.stderr
    assert unit.read_text() == render_unit(ERGOD)
    assert wants.is_symlink() and os.readlink(wants) == "/etc/systemd/user/ergod.service"

    second = ergod(env, "service", "install", "--global", "--root", str(root))
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("nothing to do")

    status = ergod(env, "service", "status", "--root", str(root))
    assert "global systemd" in status.stdout and "enabled" in status.stdout

    gone = ergod(env, "service", "uninstall", "--global", "--root", str(root))
    assert gone.returncode == 0, gone.stderr
    assert not unit.exists() and not wants.is_symlink()


def test_status_finds_the_unit_a_package_ships(tmp_path: Path) -> None:
    """The .deb puts the unit in /usr/lib/systemd/user/; /etc/systemd/user/ overrides it."""
    env = Environment.from_os(private_env(tmp_path))
    root = tmp_path / "root"
    packaged = root / "usr" / "lib" / "systemd" / "user" / "ergod.service"
    packaged.parent.mkdir(parents=True)
    packaged.write_text(render_unit(ERGOD))
    (found,) = [
        item
        for item in service.installed(env, ERGOD, root)
        if item.target.scope is service.Scope.GLOBAL and item.target.route is service.Route.SYSTEMD
    ]
    assert (found.path, found.present, found.current) == (packaged, True, True)

    override = root / "etc" / "systemd" / "user" / "ergod.service"
    override.parent.mkdir(parents=True)
    override.write_text("[Service]\nExecStart=/elsewhere/ergod run\n")
    (found,) = [
        item
        for item in service.installed(env, ERGOD, root)
        if item.target.scope is service.Scope.GLOBAL and item.target.route is service.Route.SYSTEMD
    ]
    assert (found.path, found.present, found.current) == (override, True, False)


def test_root_without_global_is_a_usage_error(tmp_path: Path) -> None:
    done = ergod(private_env(tmp_path), "service", "install", "--root", str(tmp_path))
    assert done.returncode == 2
    assert "--root goes with --global" in done.stderr


def _read(sock: socket.socket, wanted: str, timeout: float) -> list[str]:
    """Datagrams until one equals `wanted`."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            break
        got.append(message)
        if wanted in message.splitlines():
            return got
    raise AssertionError(f"no {wanted} from the daemon within {timeout} s; got {got!r}")


def test_notify_handshake_ready_watchdog_stopping(tmp_path: Path) -> None:
    """What systemd reads from `Type=notify` + `WatchdogSec=`, and the journal's levels."""
    env = private_env(tmp_path)
    address = tmp_path / "notify.sock"
    env["NOTIFY_SOCKET"] = str(address)
    env["WATCHDOG_USEC"] = "1000000"
    env["JOURNAL_STREAM"] = "8:12345"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        proc = subprocess.Popen(
            [str(ERGOD), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert "READY=1" in _read(sock, "READY=1", 20)[0].splitlines()
            _read(sock, "WATCHDOG=1", 5)
            _read(sock, "WATCHDOG=1", 5)  # and again: a schedule, not one message
            proc.send_signal(signal.SIGTERM)
            _read(sock, "STOPPING=1", 10)
            _, stderr = proc.communicate(timeout=10)
        finally:
            stop_process(proc)
    assert proc.returncode == 0
    lines = [line for line in stderr.splitlines() if line]
    assert lines, "the daemon logged nothing"
    assert all(line[:3] in {"<2>", "<3>", "<4>", "<6>", "<7>"} for line in lines), lines
    # No display here: schedule-only mode is a warning the journal shows as such.
    assert any(line.startswith("<4>") and "schedule-only" in line for line in lines)


class UserManager:
    """What `systemctl --user` answers where a user manager runs (none runs here).

    A stand-in through `service.Runner`, the interface the real command fills.
    """

    def __init__(self, enabled: str, active: str) -> None:
        self.answers = {"is-enabled": enabled, "is-active": active}

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        answer = self.answers[argv[2]]
        code = 0 if answer in ("enabled", "active") else 1
        return subprocess.CompletedProcess(list(argv), code, answer + "\n", "")


@pytest.mark.parametrize(
    ("enabled", "active", "unit_text", "expected"),
    [
        ("enabled", "active", "current", []),
        ("disabled", "inactive", "current", ["run systemctl --user enable --now ergod.service"]),
        ("not-found", "inactive", None, ["write", "daemon-reload", "enable --now"]),
        ("enabled", "active", "old", ["write", "daemon-reload", "restart"]),
    ],
)
def test_user_install_plan_follows_the_managers_answers(
    tmp_path: Path, enabled: str, active: str, unit_text: str | None, expected: list[str]
) -> None:
    env = Environment.from_os(private_env(tmp_path))
    target = service.Target(service.Scope.USER, service.Route.SYSTEMD)
    path = target.path(env)
    if unit_text is not None:
        path.parent.mkdir(parents=True)
        text = render_unit(ERGOD) if unit_text == "current" else render_unit(Path("/old/ergod"))
        path.write_text(text)
    steps = service.plan(
        service.Action.INSTALL, target, env, ERGOD, runner=UserManager(enabled, active)
    )
    described = [step.describe() for step in steps]
    assert len(described) == len(expected)
    for line, part in zip(described, expected, strict=True):
        assert part in line
