"""The wheel IT installs: built from the repository's files, installed into a fresh venv.

`python -m build` makes the wheel from a copy of the tracked files (nobody's
scratch files get in); a new venv installs it with its dependencies from the
package index, as `pip install ergod-*.whl` on a fleet machine would. The
installed `ergod doctor --json` must run and report every check, and the
package data (defaults, exercises, the autostart entry) must be inside.
Takes some seconds (a venv and a dependency install), so it is one test.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from servers import in_ci
from test_doctor import CHECKS
from test_service_support import REPO, private_env

pytestmark = pytest.mark.e2e


def repository_copy(target: Path) -> Path:
    """The tracked files as they are in the working tree, or the whole tree without git."""
    git = shutil.which("git")
    listed = (
        subprocess.run(
            [git, "ls-files", "-z"], cwd=REPO, capture_output=True, check=False, timeout=30
        )
        if git
        else None
    )
    if listed is None or listed.returncode != 0:
        ignore = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", "build")
        shutil.copytree(REPO, target, ignore=ignore)
        return target
    for name in listed.stdout.decode().split("\0"):
        source = REPO / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_wheel_installs_into_a_fresh_venv_and_the_doctor_runs(tmp_path: Path) -> None:
    if importlib.util.find_spec("build") is None:
        message = "the `build` package (test extra) is not installed"
        if in_ci():
            pytest.fail(f"{message}; CI=true so this is a failure", pytrace=False)
        pytest.skip(message)
    source = repository_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = dist.glob("ergod-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("default.toml", "exercises.toml", "ergod.desktop"):
        assert f"ergod/data/{data}" in names
    for language in ("de", "fr", "es"):  # the compiled catalogs
        assert f"ergod/locale/{language}/LC_MESSAGES/ergod.mo" in names

    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    installed = subprocess.run(
        [str(target / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    env = private_env(tmp_path)
    ergod = target / "bin" / "ergod"
    done = subprocess.run(
        [str(ergod), "doctor", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    names_found = [check["name"] for check in report["checks"]]
    assert names_found == CHECKS
    config = report["checks"][0]
    assert config["status"] == "ok"
    assert any(str(target) in line for line in config["details"])  # the wheel's defaults

    unit = subprocess.run(
        [str(ergod), "service", "install", "--dry-run"], env=env, capture_output=True, text=True
    )
    assert unit.returncode == 0, unit.stderr
    assert f"ExecStart={ergod} run" in unit.stdout

    german = subprocess.run(
        [str(ergod), "exercises", "show", "chest_doorway"],
        env={**env, "LANGUAGE": "de"},
        capture_output=True,
        text=True,
    )
    assert german.returncode == 0, german.stderr
    assert "Türrahmen-Dehnung" in german.stdout  # the wheel's catalog
