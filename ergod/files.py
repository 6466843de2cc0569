"""Files ergod writes and reads on a user's behalf: one atomic write, one bounded read.

Writing (`atomic_output`, `write_atomically`) is the only way ergod replaces or
creates a file it hands to someone else (the unit file, the user's config, the
metrics textfile, exports and reports). The text goes into a temporary file
with an unpredictable name in the target's own directory, opened with
`O_CREAT | O_EXCL | O_NOFOLLOW` (a planted file or symlink is never written
through), given its final mode with `fchmod` (the umask plays no part), synced,
then renamed over the target in one step: a reader sees the old file or the
new one, never half, and a symlink at the target is replaced, not followed.
With `replace=False` an existing target (a symlink included) is left alone and
`FileExistsError` raised.

Reading (`read_bounded`) takes at most `limit` bytes and waits at most
`pipe_wait` seconds on anything that is not a regular file, so /dev/zero or a
FIFO nobody writes to cannot exhaust memory or hang a command.

Shipped files (`package_data`): what ergod installs beside its code under
`ergod/data/` (the defaults, the exercise library, the autostart entry).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_TEMP_ATTEMPTS = 100


DATA_DIR = Path(__file__).resolve().parent / "data"


def package_data(name: str) -> Path:
    """The shipped file `name` under `ergod/data/`. A path beside the code, not
    `importlib.resources`: ergod is always installed as files (wheel, Debian
    package, editable), and `importlib.resources` loads `zipfile`, `tempfile`,
    `bz2` and `lzma` with it, about 1 MiB the daemon would hold all day."""
    return DATA_DIR / name


class TooLarge(OSError):
    """Reading stopped: more than the limit, or nothing arrived in time from a pipe."""


def _open_temp(directory: Path, name: str) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(_TEMP_ATTEMPTS):
        # os.urandom, not secrets: secrets pulls in hashlib and OpenSSL (~3 MiB resident
        # in the daemon) for the same 8 random bytes.
        temp = directory / f".{name}.{os.urandom(8).hex()}.tmp"
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every system can open a directory."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exists(path: Path) -> FileExistsError:
    return FileExistsError(errno.EEXIST, "exists", str(path))


def _commit(temp: Path, path: Path, replace: bool) -> None:
    if replace:
        os.replace(temp, path)
        return
    try:
        # link() refuses any existing name, a dangling symlink included: no race.
        os.link(temp, path, follow_symlinks=False)
    except FileExistsError:
        raise _exists(path) from None
    except OSError:
        # A filesystem without hard links: check, then rename (a short race).
        if os.path.lexists(path):
            raise _exists(path) from None
        os.replace(temp, path)
        return
    os.unlink(temp)


@contextlib.contextmanager
def atomic_output(
    path: Path, *, mode: int = 0o600, replace: bool = True, newline: str | None = None
) -> Iterator[TextIO]:
    """A text stream whose content becomes `path` (with `mode`) when the block ends.

    An exception inside the block leaves `path` as it was and removes the
    temporary file. The directory must exist. OSError for what the system
    refuses; FileExistsError when `replace` is False and `path` exists.
    """
    path = Path(path)
    if not replace and os.path.lexists(path):
        raise _exists(path)
    fd, temp = _open_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            yield out
            out.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        _commit(temp, path, replace)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def write_atomically(path: Path, text: str, *, mode: int = 0o600, replace: bool = True) -> None:
    """Replace (or create) `path` with `text` in one step; see `atomic_output`."""
    with atomic_output(path, mode=mode, replace=replace) as out:
        out.write(text)


def read_bounded(path: Path, *, limit: int, pipe_wait: float) -> bytes:
    """At most `limit` bytes of `path`; TooLarge past it or past `pipe_wait` on a pipe.

    A regular file is read as it is; a pipe or device must deliver everything
    (up to end of file) within `pipe_wait` seconds, so a process substitution
    works and a FIFO with no writer does not hang.
    """
    import select
    import time

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        deadline = time.monotonic() + pipe_wait
        chunks: list[bytes] = []
        size = 0
        while True:
            if not regular:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TooLarge(0, f"nothing arrived within {pipe_wait:g} s (a pipe?)")
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise TooLarge(0, f"more than {_size(limit)}")
            chunks.append(chunk)
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    return f"{limit // 1024} KiB"
