"""`[store] path` in a directory other users can write to (issue 17, item 10).

A second real uid plants a symlink, or the database file itself, or its
`-wal`, where the victim's store is to be. Before, ergod followed the symlink
(creating the history, 0644, where the other user chose) and wrote into a
file the other user owned. Now the database is opened without following
links, created 0600 whatever the umask, and refused when another user owns
it or its side files; the daemon keeps prompting without a store.
The victim is root running the installed `ergod` (whom permissions would
not stop: only ergod's own checks can), and a second uid where the umask and
ownership of what it creates matter.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from daemon_support import Daemon, private_env, status, wait_for
from users import OTHER_UID, VICTIM_UID, as_user, needs_root, public_tmp

from ergod.store import StoreError, open_store

pytestmark = [needs_root]
__all__ = ["public_tmp"]  # the fixture

ERGOD = Path(sys.executable).with_name("ergod")


@pytest.fixture
def shared(public_tmp: Path) -> Path:
    """A directory like /tmp: root's, writable by all, sticky."""
    directory = public_tmp / "shared"
    directory.mkdir()
    directory.chmod(0o1777)
    return directory


def _record(tmp_path: Path, db: Path) -> subprocess.CompletedProcess[str]:
    """Root records a short simulated morning into `db`, as `simulate --record` does."""
    env = private_env(tmp_path)
    config = tmp_path / "store.toml"
    config.write_text(f'[store]\npath = "{db}"\n')
    trace = tmp_path / "trace.csv"
    trace.write_text("".join(f"{t},input\n" for t in range(0, 3600, 30)))
    argv = ["simulate", "--trace", str(trace), "--config", str(config), "--record"]
    return subprocess.run(
        [str(ERGOD), *argv, "--start", "2026-11-23T09:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_planted_symlink_is_not_followed(tmp_path: Path, shared: Path) -> None:
    db = shared / "ergod.db"
    theirs = shared / "for-the-other-user.db"
    as_user(OTHER_UID, lambda: db.symlink_to(theirs))
    done = _record(tmp_path, db)
    # Before: exit 0, and the history in `theirs`, mode 0644, for them to read.
    assert done.returncode == 1, done.stderr
    assert f"{db} is a symbolic link" in done.stderr
    assert not theirs.exists() and db.is_symlink()


def test_a_database_file_another_user_made_is_left_alone(tmp_path: Path, shared: Path) -> None:
    db = shared / "ergod.db"

    def plant() -> str:
        db.write_bytes(b"")
        db.chmod(0o666)
        return "planted"

    as_user(OTHER_UID, plant)
    done = _record(tmp_path, db)
    assert done.returncode == 1, done.stderr
    assert f"{db} belongs to uid {OTHER_UID}" in done.stderr
    assert db.stat().st_size == 0  # before: root wrote the history into it


def test_a_planted_wal_link_is_refused(tmp_path: Path, shared: Path) -> None:
    db = shared / "ergod.db"
    wal = shared / "ergod.db-wal"
    as_user(OTHER_UID, lambda: wal.symlink_to(shared / "elsewhere"))
    done = _record(tmp_path, db)
    assert done.returncode == 1, done.stderr
    assert f"{wal} is not a regular file" in done.stderr
    assert not (shared / "elsewhere").exists()


def test_a_users_new_store_is_0600_whatever_the_umask(shared: Path) -> None:
    db = shared / "victim.db"

    def create() -> str:
        os.umask(0)
        conn = open_store(db)
        conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in shared.glob("victim.db*")}
        conn.close()
        return repr(sorted(modes.items()))

    modes = as_user(VICTIM_UID, create)
    assert modes == repr([("victim.db", 0o600), ("victim.db-shm", 0o600), ("victim.db-wal", 0o600)])


def test_an_old_store_readable_by_others_is_made_private(shared: Path) -> None:
    db = shared / "old.db"

    def reopen() -> str:
        open_store(db).close()
        db.chmod(0o644)  # as an older ergod under umask 022 may have left it
        open_store(db).close()
        return oct(stat.S_IMODE(db.stat().st_mode))

    assert as_user(VICTIM_UID, reopen) == "0o600"


def test_the_victims_own_code_refuses_the_link_too(shared: Path) -> None:
    db = shared / "ergod.db"
    as_user(OTHER_UID, lambda: db.symlink_to(shared / "theirs.db"))

    def try_open() -> str:
        try:
            open_store(db)
        except StoreError as exc:
            return exc.message
        return "opened"

    assert "is a symbolic link" in as_user(VICTIM_UID, try_open)


def test_the_daemon_keeps_prompting_without_such_a_store(tmp_path: Path, shared: Path) -> None:
    db = shared / "ergod.db"
    as_user(OTHER_UID, lambda: db.symlink_to(shared / "theirs.db"))
    env = private_env(tmp_path)
    config = tmp_path / "store.toml"
    config.write_text(f'[store]\npath = "{db}"\n')
    with Daemon(env, "--config", str(config)) as daemon:
        now = wait_for(lambda: status(env), 15, "the control socket")
        assert now["store"].startswith("unavailable: ") and "symbolic link" in now["store"]
        assert daemon.stop() == 0
    assert not (shared / "theirs.db").exists()
