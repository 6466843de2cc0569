"""The single-instance lock: at most one ergod daemon per user.

The daemon holds an exclusive `flock` on `<runtime_dir>/ergod/ergod.lock` for
its whole life and keeps its PID in that file as text with a newline (what
`running_pid` reads). The kernel drops the
lock when the process dies however it dies, so a file left behind by a
`kill -9` never blocks the next start: only a held lock counts, never the
file's existence.

`acquire_instance_lock(env)` takes the lock or raises `AlreadyRunning` (exit 1)
naming the PID that holds it; `running_pid(env)` answers who holds it without
taking it. Both refuse a runtime directory another user owns or may write to
(`ergod.environment.ensure_private_dir`), and so must every client before it
trusts the control socket there: `check_runtime_dir(env)`. Linux and other
POSIX systems only (`fcntl`).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ergod.environment import Environment, check_private_dir, ensure_private_dir
from ergod.errors import ErgodError

# A `running_pid` probe holds a shared lock for microseconds; a start that
# collides with one retries for this long before it believes someone else runs.
_CONTENDED_RETRY_SECONDS = 0.2
_RETRY_STEP_SECONDS = 0.01


class AlreadyRunning(ErgodError):
    """Another ergod daemon of this user holds the instance lock."""

    def __init__(self, pid: int | None) -> None:
        shown = str(pid) if pid is not None else "unknown"
        super().__init__(f"ergod is already running (pid {shown})")
        self.pid = pid


class InstanceLock:
    """The held lock: an open file descriptor with an exclusive flock on it.

    Keep the object alive for as long as the daemon runs; `release()` (or
    leaving a `with` block) removes the file and drops the lock.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.pid = os.getpid()
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file and drop the lock; a second call does nothing."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # Unlink while still holding the lock: a starter that opened the old
        # file sees it is no longer at the path and retries on a fresh one.
        try:
            if _same_file(fd, self.path):
                self.path.unlink()
        except OSError:
            pass
        os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii")
        pid = int(text.split()[0])
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return None
    return pid if pid > 0 else None


def _holder_pid(fd: int) -> int | None:
    """The holder's PID, allowing it the moment between locking and writing it."""
    deadline = time.monotonic() + _CONTENDED_RETRY_SECONDS
    pid = _read_pid(fd)
    while pid is None and time.monotonic() < deadline:
        time.sleep(_RETRY_STEP_SECONDS)
        pid = _read_pid(fd)
    return pid


def _private_daemon_dir(env: Environment) -> Path:
    try:
        return ensure_private_dir(env.daemon_dir)
    except OSError as exc:
        raise ErgodError(f"cannot use the runtime directory {env.daemon_dir}: {exc}") from None


def _lock_exclusive(fd: int) -> bool:
    """Take the exclusive lock, riding out a brief shared probe; False if held."""
    deadline = time.monotonic() + _CONTENDED_RETRY_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_RETRY_STEP_SECONDS)


def acquire_instance_lock(env: Environment) -> InstanceLock:
    """Take the per-user lock and write our PID into it, or raise AlreadyRunning."""
    path = _private_daemon_dir(env) / env.lock_file.name
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise ErgodError(f"cannot open the lock file {path}: {exc.strerror}") from None
        if not _lock_exclusive(fd):
            pid = _holder_pid(fd)
            os.close(fd)
            raise AlreadyRunning(pid)
        # A previous holder may have unlinked this file before we got the lock;
        # locking a file no longer at the path would let a third start run too.
        if _same_file(fd, path):
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return InstanceLock(path, fd)


def check_runtime_dir(env: Environment) -> None:
    """Refuse (ErgodError) a runtime directory another user could have planted.

    For clients, before they connect to the control socket or read the lock
    file: with no private directory there, whatever answers is not our daemon.
    A missing directory is fine (no daemon runs).
    """
    try:
        check_private_dir(env.daemon_dir)
    except OSError as exc:
        raise ErgodError(f"not talking to a daemon in {env.daemon_dir}: {exc}") from None


def running_pid(env: Environment) -> int | None:
    """The PID of the daemon holding the lock, or None when no one holds it.

    A lock file whose lock is free (its daemon died) answers None, whatever
    PID it still contains; so does one in a runtime directory that is not the
    user's alone (no daemon of ours runs there). Tested with a non-blocking
    shared lock, which only an exclusive holder refuses.
    """
    try:
        if not check_private_dir(env.daemon_dir):
            return None
    except OSError:
        return None
    try:
        fd = os.open(env.lock_file, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
