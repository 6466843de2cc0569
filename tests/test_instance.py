"""The single-instance lock, against real processes holding and losing it.

A child `python -c` takes the lock the way `ergod run` does; the test then
tries to start a second instance, asks who runs, and kills the child with
SIGKILL to check that the file it leaves behind blocks nobody.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ergod.daemon.instance import AlreadyRunning, acquire_instance_lock, running_pid
from ergod.environment import Environment
from ergod.errors import EXIT_RUNTIME, ErgodError

_HOLDER = """\
import sys, time
from ergod.environment import Environment
from ergod.daemon.instance import acquire_instance_lock
lock = acquire_instance_lock(Environment.from_os())
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ergod-i") as path:
        yield Path(path)


@pytest.fixture
def env(runtime_dir: Path) -> Environment:
    return Environment.from_os({"XDG_RUNTIME_DIR": str(runtime_dir), "HOME": str(runtime_dir)})


@pytest.fixture
def holder(runtime_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process that holds the lock until the test kills it."""
    environ = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "locked":
            proc.kill()
            pytest.fail(f"lock holder did not start: {proc.communicate(timeout=10)[1]}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_lock_file_holds_our_pid_in_a_private_dir(env: Environment) -> None:
    with acquire_instance_lock(env) as lock:
        # The format running_pid reads.
        assert env.lock_file.read_text(encoding="ascii") == f"{os.getpid()}\n"
        assert lock.pid == os.getpid()
        assert stat.S_IMODE(env.daemon_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(env.lock_file.stat().st_mode) == 0o600
        assert running_pid(env) == os.getpid()


def test_second_acquire_in_the_same_process_is_refused(env: Environment) -> None:
    with acquire_instance_lock(env), pytest.raises(AlreadyRunning) as caught:
        acquire_instance_lock(env)
    assert caught.value.pid == os.getpid()
    assert caught.value.message == f"ergod is already running (pid {os.getpid()})"
    assert caught.value.exit_code == EXIT_RUNTIME


def test_another_process_holding_the_lock_is_named(
    env: Environment, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(AlreadyRunning, match=rf"^ergod is already running \(pid {holder.pid}\)$"):
        acquire_instance_lock(env)
    assert running_pid(env) == holder.pid
    # The refused attempt must not have disturbed the holder's file.
    assert env.lock_file.read_text(encoding="ascii") == f"{holder.pid}\n"


def test_lock_left_by_a_killed_process_does_not_block(
    env: Environment, holder: subprocess.Popen[str]
) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    # kill -9 leaves the file with the dead PID in it ...
    assert env.lock_file.read_text(encoding="ascii") == f"{holder.pid}\n"
    # ... but nobody holds the lock, so nobody counts as running.
    assert running_pid(env) is None
    with acquire_instance_lock(env):
        assert running_pid(env) == os.getpid()
        assert env.lock_file.read_text(encoding="ascii") == f"{os.getpid()}\n"


def test_release_removes_the_file_and_frees_the_lock(env: Environment) -> None:
    lock = acquire_instance_lock(env)
    lock.release()
    lock.release()  # idempotent
    assert not lock.held
    assert not env.lock_file.exists()
    assert running_pid(env) is None
    with acquire_instance_lock(env):
        assert running_pid(env) == os.getpid()


def test_no_lock_file_means_no_daemon(env: Environment) -> None:
    assert running_pid(env) is None


def test_garbage_in_a_free_lock_file_is_overwritten(env: Environment) -> None:
    env.daemon_dir.mkdir(mode=0o700)
    env.lock_file.write_text("not a pid at all\n" * 10, encoding="ascii")
    assert running_pid(env) is None
    with acquire_instance_lock(env):
        assert env.lock_file.read_text(encoding="ascii") == f"{os.getpid()}\n"


def test_a_runtime_dir_others_can_write_is_refused(env: Environment) -> None:
    env.daemon_dir.mkdir()
    env.daemon_dir.chmod(0o777)
    with pytest.raises(ErgodError, match="open to other users"):
        acquire_instance_lock(env)
    assert not env.lock_file.exists()
