"""The repo's entry scripts: the README's two commands, CI's call, the shell helpers.

The full `scripts/test` run is checked from a fresh clone (docs/development.md);
these catch the cheap regressions: a lost executable bit, a syntax error, CI
drifting from the README, the apt list not parsing, a venv helper that would
delete the wrong directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENTRY_SCRIPTS = ("scripts/test", "scripts/run", ".ci/run", "scripts/build-deb")
BASH = shutil.which("bash") or "/bin/bash"


def _bash(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in bash with scripts/setup.sh sourced."""
    return subprocess.run(
        [BASH, "-c", f'. "{REPO}/scripts/setup.sh"\n{script}'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", **env},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("name", ENTRY_SCRIPTS)
def test_entry_script_is_executable_bash_that_parses(name: str) -> None:
    path = REPO / name
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert path.stat().st_mode & 0o111 == 0o111
    result = subprocess.run([BASH, "-n", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_readme_quick_start_is_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)
    # The run command, the whole suite, then the fast tier (the same script, --fast).
    assert commands[:2] == ["scripts/run", "scripts/test"]
    assert commands[2:] == ["scripts/test --fast"]
    ci_commands = [
        line
        for line in (REPO / ".ci/run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_commands == ['exec scripts/test "$@"']


def test_apt_package_list_is_package_names_and_dpkg_sees_missing_ones() -> None:
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a Debian system: no dpkg-query")
    names = []
    for line in (REPO / "scripts/apt-packages.txt").read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", name), line
            names.append(name)
    assert "xvfb" in names and "dunst" in names
    result = _bash('ergod_missing_packages ergod-no-such-package "$@"')
    assert result.stdout.split() == ["ergod-no-such-package"]


def test_pick_python_honours_PYTHON() -> None:
    result = _bash("ergod_pick_python", PYTHON=sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sys.executable


def test_pick_python_rejects_an_old_python(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")  # answers "too old" to the version probe
    fake.chmod(0o755)
    result = _bash("ergod_pick_python", PATH=str(tmp_path))
    assert result.returncode != 0
    assert result.stdout == ""


def test_ensure_venv_never_deletes_a_directory_that_is_not_a_venv(tmp_path: Path) -> None:
    precious = tmp_path / "not-a-venv"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    result = _bash(f'ergod_ensure_venv "{precious}" "" "{sys.executable}"')
    assert result.returncode != 0
    assert "is not a venv" in result.stderr
    assert (precious / "keep.txt").read_text() == "mine"


def test_the_fast_tier_leaves_out_every_marker_the_suite_registers() -> None:
    # A marker added for a new kind of server must leave the fast tier too.
    registered = re.findall(r'^    "(\w+): ', (REPO / "pyproject.toml").read_text(), re.MULTILINE)
    (expression,) = re.findall(r'-m "([^"]+)" -n auto', (REPO / "scripts/test").read_text())
    assert set(registered) == {"x11", "dbus", "e2e", "wayland", "slow"}
    assert expression == " and ".join(f"not {marker}" for marker in registered)
