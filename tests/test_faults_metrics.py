"""The shared metrics directory between users (issue 17, item 9).

The directory is made as docs/deployment.md says (root's, mode 1733, like
/tmp but unlistable). A second real uid pre-creates another user's
`<uid>.prom` (before: that user's writes failed with a bare "Operation not
permitted", and the collector counted the planted file as theirs) and writes
`ergod_up 1e15` into its own (before: summed into the host's `ergod_up`).
Users write in forked children with their own uid; the collector is the
installed `ergod metrics collect`, run by root as the timer runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from daemon_support import private_env
from test_metrics import samples
from users import OTHER_UID, VICTIM_UID, as_user, needs_root, public_tmp

from ergod.config.compose import load
from ergod.environment import Environment
from ergod.errors import ErgodError
from ergod.fleet.metrics import Snapshot, render, write_textfile

pytestmark = [needs_root]
__all__ = ["public_tmp"]  # the fixture

ERGOD = Path(sys.executable).with_name("ergod")


@pytest.fixture
def shared(public_tmp: Path) -> Path:
    directory = public_tmp / "metrics"
    directory.mkdir()
    directory.chmod(0o1733)
    return directory


def _write_as(uid: int, shared: Path) -> str:
    """`uid` writes its metrics file, configured as a policy would: `<shared>/{uid}.prom`."""
    home = shared.parent / f"home-{uid}"
    home.mkdir()
    env = Environment.from_os(private_env(home))
    env.user_config_file.parent.mkdir(parents=True)
    env.user_config_file.write_text(f'[metrics]\ntextfile = "{shared}/{{uid}}.prom"\n')
    config = load(env).config
    for path in (home, *home.rglob("*")):
        os.chown(path, uid, uid)

    def work() -> str:
        try:
            return str(write_textfile(env, config, up=True))
        except ErgodError as exc:
            return f"error: {exc.message}"

    return as_user(uid, work)


def _collect(shared: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ERGOD), "metrics", "collect", "--dir", str(shared)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_file_planted_under_another_users_name(shared: Path) -> None:
    planted = shared / f"{VICTIM_UID}.prom"

    def plant() -> str:
        planted.write_text(render(Snapshot(1, {"0.1.0": 1}, {}, 99, 10.0, None)))
        return "planted"

    as_user(OTHER_UID, plant)
    answer = _write_as(VICTIM_UID, shared)
    # The victim is told whose file it is and what to do.
    assert answer == (
        f"error: cannot write metrics to {planted}: it belongs to uid {OTHER_UID}, not to you "
        f"(uid {VICTIM_UID}), so ergod cannot replace it; ask an administrator to remove it"
    )
    done = _collect(shared)
    assert done.returncode == 0, done.stderr
    assert (
        f"left out {planted}: it belongs to uid {OTHER_UID}, not to uid {VICTIM_UID} as named"
        in done.stderr
    )
    found = samples(done.stdout)
    assert found[("ergod_up", ())] == 0
    assert found[("ergod_sitting_bouts_total", ())] == 0


def test_implausible_values_are_left_out(shared: Path) -> None:
    assert _write_as(VICTIM_UID, shared) == str(shared / f"{VICTIM_UID}.prom")
    honest = render(Snapshot(1, {"0.1.0": 1}, {}, 3, 10.0, None))
    inflated = ("ergod_up 1e15", "ergod_sitting_bouts_total 2.5", 'ergod_build_info{version="x"} 7')
    for line in inflated:
        name = line.split("{")[0].split(" ")[0]

        def inflate(line: str = line, name: str = name) -> str:
            own = shared / f"{OTHER_UID}.prom"
            kept = [ln for ln in honest.splitlines() if not ln.startswith(name)]
            own.write_text("\n".join([*kept, line]) + "\n")
            return "written"

        as_user(OTHER_UID, inflate)
        done = _collect(shared)
        assert done.returncode == 0, done.stderr
        assert f"{OTHER_UID}.prom: {name} " in done.stderr, done.stderr
        assert "is not a value one user's ergod writes" in done.stderr
        assert samples(done.stdout)[("ergod_up", ())] == 1  # the victim alone


def test_the_collector_warns_about_a_directory_users_can_take_over(public_tmp: Path) -> None:
    loose = public_tmp / "loose"
    loose.mkdir()
    loose.chmod(0o777)
    done = _collect(loose)
    assert done.returncode == 0
    assert f"{loose} is writable by all but not sticky (mode 0777)" in done.stderr
    os.chown(loose, OTHER_UID, OTHER_UID)
    loose.chmod(0o1733)
    done = _collect(loose)
    assert f"{loose} belongs to uid {OTHER_UID}, who can replace any file in it" in done.stderr


def test_in_a_proper_directory_each_user_counts_once(shared: Path) -> None:
    for uid in (VICTIM_UID, OTHER_UID):
        assert _write_as(uid, shared) == str(shared / f"{uid}.prom")
    done = _collect(shared)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    assert samples(done.stdout)[("ergod_up", ())] == 2
