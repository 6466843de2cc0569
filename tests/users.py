"""Another local user, for the tests of what one user can do to another's ergod.

The test process runs as root (as in CI). `as_user(uid, work)` forks a child
that drops to `uid` for real (groups, gid, uid: no way back) and runs `work`
there; `Background(uid, work)` keeps such a child running (a fake daemon
serving a socket) until the test ends. The uids are unused ones
(`OTHER_UID`, `VICTIM_UID`): `setuid` needs no account, and an unused uid owns
nothing on the machine. Children run only what the parent already imported,
so the checkout need not be readable by those uids.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import pytest


def _unused_uid(start: int) -> int:
    uid = start
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


OTHER_UID = _unused_uid(64_201)
"""The other user: the one who plants files, sockets and symlinks."""
VICTIM_UID = _unused_uid(OTHER_UID + 1)
"""A user whose ergod is attacked, where root (who ignores permissions) will not do."""


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A temporary directory other users can enter (pytest's tmp_path is root's, 0700)."""
    with tempfile.TemporaryDirectory(prefix="ergod-users-") as path:
        os.chmod(path, 0o755)
        yield Path(path)


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to act as a second real uid (CI runs the tests as root)",
)


def _become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    os.umask(0o022)


def as_user(uid: int, work: Callable[[], object]) -> str:
    """Run `work` in a child process as `uid`; what it returned, as text.

    An exception in the child is re-raised here as an AssertionError with the
    child's traceback.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            os.close(read_fd)
            _become(uid)
            answer = str(work())
            code = 0
        except BaseException:
            answer = traceback.format_exc()
        try:
            os.write(write_fd, answer.encode("utf-8", "replace"))
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        answer = pipe.read().decode("utf-8")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise AssertionError(f"the uid {uid} child failed:\n{answer}")
    return answer


class Background:
    """`work` running as `uid` in a child until the block ends (then SIGKILLed).

    `work` is called once; the child writes "ready" to the parent when `ready`
    is called, so the test can wait for a socket to be bound.
    """

    def __init__(self, uid: int, work: Callable[[Callable[[], None]], None]) -> None:
        self._uid = uid
        self._work = work
        self._pid = 0

    def __enter__(self) -> Background:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_fd)
                _become(self._uid)
                self._work(lambda: os.write(write_fd, b"ready"))
            except BaseException:
                traceback.print_exc(file=sys.stderr)
            finally:
                os._exit(0)
        os.close(write_fd)
        self._pid = pid
        with os.fdopen(read_fd, "rb") as pipe:
            if pipe.read(5) != b"ready":
                self.__exit__(None, None, None)
                raise AssertionError(f"the uid {self._uid} child did not get ready")
        return self

    def alive(self) -> bool:
        """Whether the child still runs (a signal has not ended it)."""
        if self._pid and os.waitpid(self._pid, os.WNOHANG) != (0, 0):
            self._pid = 0  # reaped
        return bool(self._pid)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
