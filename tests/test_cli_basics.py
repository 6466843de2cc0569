"""The installed command line: entry points, a light `--help`, clean usage errors.

Runs the `ergod` that the venv installed (next to this interpreter) as a user would,
in subprocesses, so packaging mistakes (a missing entry point, package data, a
module that does work at import time) show up here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from import_support import loaded_after

import ergod
from ergod import cli


def _ergod_executable() -> Path:
    exe = Path(sys.executable).parent / "ergod"
    if not exe.exists():
        pytest.fail(f"no `ergod` entry point next to {sys.executable}: run `pip install -e .`")
    return exe


def _run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_help_from_installed_entry_point() -> None:
    result = _run(_ergod_executable(), "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ergod")
    assert result.stderr == ""


def test_python_dash_m_gives_the_same_help() -> None:
    via_module = _run(sys.executable, "-m", "ergod", "--help")
    via_script = _run(_ergod_executable(), "--help")
    assert via_module.returncode == 0, via_module.stderr
    assert via_module.stdout == via_script.stdout


def test_version_matches_the_package() -> None:
    result = _run(_ergod_executable(), "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ergod {ergod.__version__}"


@pytest.mark.parametrize(
    "code",
    [
        "from ergod.cli import build_parser; build_parser()",
        "from ergod.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    ],
    ids=["build_parser", "main-help"],
)
def test_help_imports_no_heavy_library(code: str) -> None:
    # Loading any of them for `--help` would make every CLI call slow, or pull in
    # X11, D-Bus or the database where they are not needed.
    assert loaded_after(code) == []


def test_the_probe_does_see_a_heavy_import() -> None:
    # Guards the tests that use loaded_after against passing because it looked at nothing.
    assert loaded_after("import sqlite3\nprint('noise')") == ["sqlite3"]
    assert loaded_after("import ergod.dbus", ["ergod.dbus", "jeepney"]) == ["ergod.dbus"]


@pytest.mark.parametrize("argv", [["frobnicate"], ["--frobnicate"]], ids=["command", "option"])
def test_unknown_command_is_a_one_line_usage_error(argv: list[str]) -> None:
    result = _run(_ergod_executable(), *argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ergod: error:")]
    assert len(errors) == 1
    assert "frobnicate" in errors[0]


def _help_of(command: str) -> str:
    call = f"main([{command!r}, '--help'])"
    return f"from ergod.cli import main\ntry:\n    {call}\nexcept SystemExit:\n    pass"


def test_ergod_run_keeps_no_other_command_module() -> None:
    # The daemon lives all day: it builds only its own parser, so the modules
    # of `summary`, `service`, `doctor` ... never load in it (issue 10: RSS).
    others = [f"ergod.cli.{name}" for name in cli.COMMANDS if name != "run"]
    assert loaded_after(_help_of("run"), [*others, "ergod.cli.run"]) == ["ergod.cli.run"]
    # Every other command still builds the whole command line (its usage
    # errors list every command).
    assert loaded_after(_help_of("status"), others) == sorted(others)
