"""The host file from the per-user metrics files of a shared directory (`ergod metrics collect`).

Contract: `collect(directory)` merges the per-user files into one host
snapshot with the same metric names (the newest file of each owner; one user
cannot count twice): counts and `ergod_up` summed, `ergod_longest_bout_seconds`
the maximum, `ergod_adherence_ratio` the mean of the users that have one.
Files are written by users and read by root, so each is read without
following links, size-capped, and dropped whole if it holds anything one
user's ergod would not have written (`ergod.fleet.metrics.parse`) or if it is
named `<uid>.prom` but belongs to another user than that uid (or root).
`Collected.warnings` says when the directory itself lets users replace each
other's files: not sticky, or owned by a user (docs/deployment.md: 1733, root's).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from ergod.fleet.metrics import MAX_FILE_BYTES, MetricsError, Snapshot, merge, parse


def read_user_file(path: Path) -> tuple[Snapshot, os.stat_result]:
    """One per-user file, read safely, and its status; ValueError or OSError if unusable."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    named = _UID_NAME.fullmatch(path.name)
    if named is not None and info.st_uid not in (0, int(named[1])):
        raise ValueError(f"it belongs to uid {info.st_uid}, not to uid {named[1]} as named")
    return parse(data.decode("utf-8")), info


_UID_NAME = re.compile(r"(\d+)\.prom")


@dataclass(frozen=True)
class Collected:
    """The merged host figures, the files left out with why, and what to fix."""

    snapshot: Snapshot
    used: tuple[Path, ...]
    skipped: tuple[tuple[Path, str], ...]
    warnings: tuple[str, ...] = ()


def _directory_warnings(directory: Path) -> tuple[str, ...]:
    """Why users could replace each other's files in `directory` (docs: mode 1733)."""
    try:
        info = directory.stat()
    except OSError:
        return ()
    mode = stat.S_IMODE(info.st_mode)
    found = []
    if info.st_uid != 0:
        found.append(f"{directory} belongs to uid {info.st_uid}, who can replace any file in it")
    if mode & 0o002 and not mode & stat.S_ISVTX:
        found.append(
            f"{directory} is writable by all but not sticky (mode {mode:04o}): users can "
            "replace each other's files; make it 1733 (docs/deployment.md)"
        )
    return tuple(found)


def collect(
    directory: Path, *, exclude: Path | None = None, stale_after: float | None = None
) -> Collected:
    """Merge every `*.prom` file in `directory` (but `exclude`, the output).

    A file not rewritten within `stale_after` seconds counts as a daemon that
    is no longer up (its counts still add up).
    """
    try:
        names = sorted(p for p in directory.iterdir() if p.name.endswith(".prom"))
    except OSError as exc:
        raise MetricsError(f"cannot list {directory}: {exc.strerror}") from None
    newest: dict[int, tuple[float, Path, Snapshot]] = {}  # owner uid -> its latest file
    skipped: list[tuple[Path, str]] = []
    for path in names:
        if exclude is not None and path.absolute() == exclude.absolute():
            continue
        try:
            snap, info = read_user_file(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            skipped.append((path, reason or type(exc).__name__))
            continue
        # One file per user: extra files of one owner cannot count them twice.
        previous = newest.get(info.st_uid)
        if previous is not None:
            older = min(previous, (info.st_mtime, path, snap), key=lambda e: e[0])
            skipped.append((older[1], "an older file of the same owner"))
            if older[1] == path:
                continue
        newest[info.st_uid] = (info.st_mtime, path, snap)
    now = datetime.now(timezone.utc).timestamp()
    snaps = [
        replace(snap, up=0, schedule_only=0)
        if stale_after is not None and now - mtime > stale_after
        else snap
        for mtime, _, snap in newest.values()
    ]
    used = tuple(path for _, path, _ in newest.values())
    return Collected(merge(snaps), used, tuple(skipped), _directory_warnings(directory))
