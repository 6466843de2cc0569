"""Files ergod writes for people (issue 17, items 3, 11 and 16).

One atomic-write helper (`ergod.files`) for the unit file, the user's config,
the metrics textfile and exports: never through a planted temporary file or
symlink, the mode asked for whatever the umask, an existing file kept unless
replacing it was asked for. The unit and desktop file refuse a path with a
line break; `--global` refuses an executable another user could change.
Real files and directories throughout, the installed `ergod` where a user
would run it, and a second real uid where another user plants something.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from servers import require_tool
from test_service_support import ERGOD, private_env
from users import OTHER_UID, as_user, needs_root, public_tmp

from ergod.environment import Environment
from ergod.files import atomic_output, write_atomically
from ergod.fleet import service
from ergod.fleet.unit import ServiceError, check_global_executable, render_autostart, render_unit
from ergod.store import DaemonEvent, StoreWriter

__all__ = ["public_tmp"]  # the fixture

# ---- the helper ------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_mode_asked_for_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomically(tmp_path / "private", "x")
        write_atomically(tmp_path / "shared", "x", mode=0o644)
    finally:
        os.umask(old)
    assert (_mode(tmp_path / "private"), _mode(tmp_path / "shared")) == (0o600, 0o644)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private", "shared"]


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("precious")
    target = tmp_path / "out"
    target.symlink_to(elsewhere)
    write_atomically(target, "new")
    assert elsewhere.read_text() == "precious"
    assert not target.is_symlink() and target.read_text() == "new"


@pytest.mark.parametrize("existing", ["file", "symlink", "dangling symlink"])
def test_without_replace_an_existing_name_is_left_alone(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "out"
    if existing == "file":
        target.write_text("old")
    else:
        target.symlink_to(tmp_path / ("old" if existing == "symlink" else "nowhere"))
        (tmp_path / "old").write_text("old")
    with pytest.raises(FileExistsError):
        write_atomically(target, "new", replace=False)
    assert os.path.lexists(target) and target.is_symlink() == (existing != "file")
    assert (tmp_path / "old").read_text() == "old" if existing != "file" else True
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failure_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("half")
        raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# ---- item 3: service install --global --root as root ----------------------------------


@needs_root
def test_global_install_writes_nothing_through_a_planted_temp_name(
    tmp_path: Path, public_tmp: Path
) -> None:
    require_tool("systemctl")
    root = public_tmp / "root"
    units = root / "etc" / "systemd" / "user"
    units.mkdir(parents=True)
    os.chown(units, OTHER_UID, OTHER_UID)  # a tree another user can write to
    precious = tmp_path / "shadow"
    precious.write_text("root's secret\n")
    precious.chmod(0o600)

    def plant() -> str:
        (units / ".ergod.service.tmp").symlink_to(precious)
        return "planted"

    as_user(OTHER_UID, plant)
    done = subprocess.run(
        [str(ERGOD), "service", "install", "--global", "--root", str(root)],
        env=private_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # Before: the unit text went into the symlink's target, which became 0644,
    # and the symlink itself was renamed to ergod.service.
    assert precious.read_text() == "root's secret\n" and _mode(precious) == 0o600
    unit = units / "ergod.service"
    assert not unit.is_symlink() and unit.read_text() == render_unit(ERGOD)
    assert _mode(unit) == 0o644


# ---- item 16: the unit file and the executable ----------------------------------------

INJECTED = Path("/opt/ergod/bin/ergod run\nExecStartPre=/tmp/evil\n#")


def test_a_line_break_in_the_executable_path_is_refused() -> None:
    # Before: the unit gained an ExecStartPre= line, which systemd-analyze accepted.
    with pytest.raises(ServiceError, match="line break"):
        render_unit(INJECTED)
    with pytest.raises(ServiceError, match="line break"):
        render_autostart(INJECTED)


def test_install_plans_refuse_such_a_path(tmp_path: Path) -> None:
    env = Environment.from_os(private_env(tmp_path))
    target = service.Target(service.Scope.USER, service.Route.AUTOSTART)
    with pytest.raises(ServiceError, match="line break"):
        service.plan(service.Action.INSTALL, target, env, INJECTED)


def _program(directory: Path, shebang: str = "#!/bin/sh") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    program = directory / "ergod"
    program.write_text(f"{shebang}\nexit 0\n")
    program.chmod(0o755)
    return program


@needs_root
def test_global_refuses_an_executable_another_user_owns(tmp_path: Path) -> None:
    program = _program(tmp_path / "venv" / "bin")
    os.chown(program, OTHER_UID, OTHER_UID)
    with pytest.raises(ServiceError, match=f"belongs to uid {OTHER_UID}"):
        check_global_executable(program)
    target = service.Target(service.Scope.GLOBAL, service.Route.SYSTEMD, tmp_path / "root")
    env = Environment.from_os(private_env(tmp_path))
    with pytest.raises(ServiceError, match="another user could change"):
        service.plan(service.Action.INSTALL, target, env, program)


@needs_root
def test_global_refuses_an_executable_in_a_directory_others_can_write(tmp_path: Path) -> None:
    program = _program(tmp_path / "shared" / "bin")
    (tmp_path / "shared").chmod(0o777)
    with pytest.raises(ServiceError, match="writable by others"):
        check_global_executable(program)


@needs_root
def test_global_refuses_an_interpreter_another_user_owns(tmp_path: Path) -> None:
    python = _program(tmp_path / "theirs")
    os.chown(python, OTHER_UID, OTHER_UID)
    program = _program(tmp_path / "venv" / "bin", shebang=f"#!{python}")
    with pytest.raises(ServiceError, match=f"{python} belongs to uid {OTHER_UID}"):
        check_global_executable(program)


@needs_root
def test_global_accepts_root_owned_programs(tmp_path: Path) -> None:
    check_global_executable(_program(tmp_path / "opt" / "bin"))
    check_global_executable(ERGOD)


# ---- item 11: export and summary files -------------------------------------------------

NEW = datetime(2026, 6, 2, 9, 0, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    env = private_env(tmp_path)
    env["TZ"] = "Europe/Berlin"
    writer = StoreWriter(
        Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db", logging.getLogger("test.files")
    )
    writer.start()
    writer.bout(NEW, NEW + timedelta(minutes=25))
    writer.daemon_event(DaemonEvent.START, NEW, "0.1.0")
    assert writer.close()
    return env


def _ergod_umask0(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ERGOD), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0),
    )


OUTPUTS = [
    (("data", "export"), 0o600),
    (("data", "export", "--format", "csv"), 0o600),
    (("summary", "--week", "2026-W23", "--format", "json"), 0o600),
    (("summary", "--week", "2026-W23", "--format", "csv"), 0o600),
    (("summary", "--week", "2026-W23", "--format", "html"), 0o644),
]


@pytest.mark.parametrize(("command", "mode"), OUTPUTS, ids=[" ".join(c) for c, _ in OUTPUTS])
def test_an_output_file_gets_its_mode_under_umask_000(
    user: dict[str, str], tmp_path: Path, command: tuple[str, ...], mode: int
) -> None:
    out = tmp_path / "out"
    done = _ergod_umask0(user, *command, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text() and _mode(out) == mode  # before: 0666, from the umask


@pytest.mark.parametrize(
    "command", [c for c, _ in OUTPUTS[::2]], ids=[" ".join(c) for c, _ in OUTPUTS[::2]]
)
def test_an_existing_output_is_kept_unless_forced(
    user: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    precious = tmp_path / "precious"
    precious.write_text("keep me\n")
    out = tmp_path / "out"
    out.symlink_to(precious)
    refused = _ergod_umask0(user, *command, "--output", str(out))
    assert refused.returncode == 2, refused.stderr
    assert f"{out} exists: add --force to replace it" in refused.stderr
    assert precious.read_text() == "keep me\n" and out.is_symlink()

    forced = _ergod_umask0(user, *command, "--output", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    # The symlink is replaced by a file; what it pointed at is untouched.
    assert precious.read_text() == "keep me\n"
    assert not out.is_symlink() and out.read_text() != "keep me\n"
