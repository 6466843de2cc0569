"""Quiet while a configured program runs (`[quiet] processes`), by name only."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ergod.quiet.base import FailureLog
from ergod.reasons import RUNNING


def _program_names(info: Mapping[str, Any]) -> set[str]:
    """The names a process goes by: its name and the basenames of exe and argv[0]."""
    names = {str(info.get("name") or "")}
    exe = info.get("exe") or ""
    cmdline = info.get("cmdline") or []
    names.add(os.path.basename(str(exe)))
    if cmdline:
        names.add(os.path.basename(str(cmdline[0])))
    return {_normal(n) for n in names if n}


def _normal(name: str) -> str:
    name = name.strip().lower()
    return name[: -len(".exe")] if name.endswith(".exe") else name


class ProcessProbe:
    """Quiet while one of the configured programs runs as this user.

    A configured name matches a process when it equals, ignoring case and a
    trailing ".exe", the process name (psutil's, which Linux truncates to 15
    characters and psutil completes from the command line) or the basename of
    its executable or of argv[0]. Whole names only: "obs" does not match
    "jobserver". Only this user's processes count (on POSIX, by real uid): a
    call or screen share the user is in runs as the user, and another
    session on the same machine must not silence this one's prompts.
    """

    name = "processes"
    quiet = True
    attended = False

    def __init__(self, names: Iterable[str], log: logging.Logger | None = None) -> None:
        self._wanted = {_normal(n): n for n in names if n.strip()}
        self._uid = os.getuid() if hasattr(os, "getuid") else None
        self._failure = FailureLog(log or logging.getLogger(__name__), self.name)

    def check(self) -> str | None:
        if not self._wanted:
            return None
        try:
            found = self._find()
        except Exception as exc:  # psutil.Error, OSError: never break the engine thread
            self._failure.failed(f"{type(exc).__name__}: {exc}")
            return None
        self._failure.ok()
        return None if found is None else RUNNING.format(program=found)

    def close(self) -> None:
        pass

    def _find(self) -> str | None:
        if self._uid is not None and os.path.isdir("/proc/self"):
            return next(_matching_in_proc(self._wanted, self._uid), None)
        return next((name for name, _ in self._matching()), None)

    def running_since(self) -> dict[str, float]:
        """Each configured name running now, and since when (epoch seconds, the
        earliest of its processes). For the doctor; raises psutil.Error or OSError."""
        since: dict[str, float] = {}
        for name, proc in self._matching():
            with contextlib.suppress(Exception):  # psutil.Error: gone meanwhile
                started = float(proc.create_time())
                since[name] = min(started, since.get(name, started))
        return since

    def _matching(self) -> Iterator[tuple[str, Any]]:
        """(configured name, psutil.Process) for each of this user's processes that matches."""
        import psutil

        attrs = ["name"] if self._uid is None else ["name", "uids"]
        for proc in psutil.process_iter(attrs):
            info = proc.info
            if self._uid is not None:
                uids = info.get("uids")
                if uids is None or uids.real != self._uid:
                    continue
            match = self._wanted.get(_normal(str(info.get("name") or "")))
            if match is None:
                # Only for the user's own processes, and only when the name did not
                # match: exe and cmdline cost a readlink and a read each.
                more = dict(info)
                with contextlib.suppress(psutil.Error):
                    more["exe"] = proc.exe()
                with contextlib.suppress(psutil.Error):
                    more["cmdline"] = proc.cmdline()
                match = next(
                    (self._wanted[n] for n in _program_names(more) if n in self._wanted), None
                )
            if match is not None:
                yield match, proc


_COMM_KEPT = 15
"""Characters of a process name Linux keeps in /proc/PID/comm."""


def _matching_in_proc(wanted: Mapping[str, str], uid: int) -> Iterator[str]:
    """The configured names of this user's processes, read from Linux's /proc.

    The daemon's every-tick question: the same names as `_matching` (comm, the
    basenames of exe and argv[0]) without importing psutil, which costs the
    daemon about 1 MiB resident for this alone. A process that vanishes or
    cannot be read meanwhile is skipped."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/comm", encoding="utf-8", errors="replace") as f:
                comm = f.read().rstrip("\n")
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                argv0 = f.read(4096).split(b"\0", 1)[0].decode("utf-8", "replace")
            info: dict[str, Any] = {"name": comm, "cmdline": [argv0] if argv0 else []}
            truncated = False
            if len(comm) >= _COMM_KEPT:
                # The kernel may have cut the name: complete it from argv[0], as
                # psutil does, so a configured name matches whole names only; with
                # no completion the cut name matches nothing by itself.
                if os.path.basename(argv0).startswith(comm):
                    info["name"] = os.path.basename(argv0)
                else:
                    truncated = True
            match = None if truncated else wanted.get(_normal(info["name"]))
            if match is None:
                with contextlib.suppress(OSError):
                    info["exe"] = os.readlink(f"/proc/{entry.name}/exe")
                names = _program_names(info) - ({_normal(comm)} if truncated else set())
                match = next((wanted[n] for n in names if n in wanted), None)
        except OSError:
            continue
        if match is not None:
            yield match
