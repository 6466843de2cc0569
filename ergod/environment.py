"""The world ergod runs in: directories and environment, injected, never global.

`Environment` is what the composition root hands every part that needs a path
or an environment variable (the httpie idea): modules take an Environment
instead of reading `os.environ`, so a test builds one over a temporary tree.

Where things live:
* `system_dir`: `/etc/ergod` (system defaults in `config.toml` and
  `config.d/*.toml`, locked policy in `policy.d/*.toml`). `$ERGOD_SYSTEM_DIR`
  moves it only where that cannot weaken policy (`system_dir_allowed`): for
  root, when `/etc/ergod/policy.d` holds no policy, and for `ergod config
  check` (`from_os(any_system_dir=True)`). `system_dir_note()` says which.
* `config_home`: `$XDG_CONFIG_HOME`, else `~/.config`; the user's file is
  `<config_home>/ergod/config.toml`.
* `state_home`: `$XDG_STATE_HOME`, else `~/.local/state`; ergod's data lives in
  `<state_home>/ergod/`.
* `runtime_dir`: `$XDG_RUNTIME_DIR`, else `<$TMPDIR or /tmp>/ergod-<uid>`, a
  private fallback. ergod's sockets and lock file live in `<runtime_dir>/ergod/`.

As the XDG base directory spec asks, a variable that is empty or holds a
relative path is ignored. Building an Environment reads only; it creates
nothing. `ensure_private_dir` is for the daemon, when it needs the runtime
directory to exist; `check_private_dir` is for a client about to trust what
is in it. Both refuse (`UnsafeDirectory`) a directory on the way that another
user owns or may write to, except a sticky one such as /tmp.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SYSTEM_DIR = Path("/etc/ergod")


def _absolute(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "")
    return Path(value) if value and os.path.isabs(value) else None


def _user_tag(environ: Mapping[str, str]) -> str:
    """The uid where there is one (POSIX), else the user name (Windows)."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    return environ.get("USERNAME") or environ.get("USER") or "user"


def _has_policy(system_dir: Path) -> bool:
    """Whether `system_dir` holds policy; an unreadable policy.d counts as holding some."""
    try:
        return any(p.is_file() for p in (system_dir / "policy.d").glob("*.toml"))
    except OSError:
        return True


def system_dir_allowed(uid: int | None, default: Path = DEFAULT_SYSTEM_DIR) -> bool:
    """Whether $ERGOD_SYSTEM_DIR may replace `default` for a process of `uid`.

    Only where it cannot weaken policy: root may change /etc/ergod anyway, and
    with no policy file in `default` there is nothing to weaken. (A directory
    merely owned by root is not enough: /usr is root's and holds no policy.)
    """
    return uid is None or uid == 0 or not _has_policy(default)


@dataclass(frozen=True)
class Environment:
    """Directories ergod reads and writes, and the environment it was given."""

    system_dir: Path
    config_home: Path
    state_home: Path
    runtime_dir: Path
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    # $ERGOD_SYSTEM_DIR when set, honoured (== system_dir) or not.
    requested_system_dir: Path | None = None

    @classmethod
    def from_os(
        cls, environ: Mapping[str, str] | None = None, *, any_system_dir: bool = False
    ) -> Environment:
        """The environment of this process, or of `environ` when given.

        `any_system_dir`: honour $ERGOD_SYSTEM_DIR whatever policy says; only
        for commands that report and change nothing (`ergod config check`).
        """
        env = dict(os.environ if environ is None else environ)
        home = _absolute(env, "HOME") or Path(os.path.expanduser("~"))
        tmp = _absolute(env, "TMPDIR") or Path("/tmp")
        requested = _absolute(env, "ERGOD_SYSTEM_DIR")
        getuid = getattr(os, "getuid", None)
        allowed = any_system_dir or system_dir_allowed(getuid() if getuid else None)
        return cls(
            system_dir=requested if requested is not None and allowed else DEFAULT_SYSTEM_DIR,
            config_home=_absolute(env, "XDG_CONFIG_HOME") or home / ".config",
            state_home=_absolute(env, "XDG_STATE_HOME") or home / ".local" / "state",
            runtime_dir=_absolute(env, "XDG_RUNTIME_DIR") or tmp / f"ergod-{_user_tag(env)}",
            home=home,
            environ=env,
            requested_system_dir=requested,
        )

    def system_dir_note(self) -> str | None:
        """What $ERGOD_SYSTEM_DIR did, for doctor, status and the log; None if unset."""
        requested = self.requested_system_dir
        if requested is None:
            return None
        if requested == self.system_dir:
            return f"ERGOD_SYSTEM_DIR is set: system configuration and policy come from {requested}"
        return (
            f"ERGOD_SYSTEM_DIR={requested} is ignored: {self.system_dir}/policy.d holds "
            "policy, which only root can move (`ergod config check` honours it)"
        )

    @property
    def system_config_file(self) -> Path:
        return self.system_dir / "config.toml"

    @property
    def system_config_dir(self) -> Path:
        return self.system_dir / "config.d"

    @property
    def policy_dir(self) -> Path:
        return self.system_dir / "policy.d"

    @property
    def user_config_dir(self) -> Path:
        return self.config_home / "ergod"

    @property
    def user_config_file(self) -> Path:
        return self.user_config_dir / "config.toml"

    @property
    def state_dir(self) -> Path:
        return self.state_home / "ergod"

    @property
    def default_store_path(self) -> Path:
        return self.state_dir / "ergod.db"

    @property
    def daemon_dir(self) -> Path:
        """Where the running daemon keeps its lock file and control socket."""
        return self.runtime_dir / "ergod"

    @property
    def lock_file(self) -> Path:
        """Held by the running daemon; holds its PID."""
        return self.daemon_dir / "ergod.lock"

    def expand_user(self, text: str) -> Path:
        """`~/x` against this environment's home, for paths written in config."""
        if text == "~" or text.startswith("~/"):
            return self.home / text[2:]
        return Path(text)


class UnsafeDirectory(PermissionError):
    """A directory ergod would rely on is not this user's alone; the text says why."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unsafe directory"


def untrusted_reason(path: Path, owners: frozenset[int], *, sticky_end: bool = False) -> str | None:
    """Why someone outside `owners` could change what `path` names, or None.

    `path` and every directory above it (as written and with symlinks resolved)
    must belong to one of `owners` and be writable by no one else. A directory
    others may write to passes only with the sticky bit (/tmp), and only above
    `path` (or as `path` itself with `sticky_end`, for a directory ergod is to
    create something in): there nobody can rename or delete what another owns.
    """
    absolute = Path(os.path.abspath(path))
    for candidate in dict.fromkeys((absolute, Path(os.path.realpath(absolute)))):
        for part in [*reversed(candidate.parents), candidate]:
            info = os.lstat(part)
            if info.st_uid not in owners:
                return f"{part} belongs to uid {info.st_uid}"
            if stat.S_ISLNK(info.st_mode):
                continue  # its target is checked with the resolved path
            sticky_dir = stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
            if info.st_mode & 0o022 and not (sticky_dir and (sticky_end or part != candidate)):
                return f"{part} is writable by others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _refuse_unless_private(path: Path, uid: int) -> None:
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectory(f"{path} is not a directory")
    if info.st_uid != uid:
        raise UnsafeDirectory(
            f"{path} belongs to uid {info.st_uid}, not to you (uid {uid}); another user "
            "may be trying to impersonate ergod: have it removed, or set XDG_RUNTIME_DIR"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UnsafeDirectory(
            f"{path} is open to other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"make it private: chmod 700 {path}"
        )


def _check_chain(path: Path, uid: int) -> Path | None:
    """The deepest existing directory at or above `path`, checked; None if none."""
    existing = path
    while not os.path.lexists(existing):
        if existing.parent == existing:
            return None
        existing = existing.parent
    # `path` itself must be private, which _refuse_unless_private says better.
    base = existing.parent if existing == path else existing
    reason = untrusted_reason(base, frozenset({0, uid}), sticky_end=True)
    if reason is not None:
        raise UnsafeDirectory(
            f"cannot trust {path}: {reason}; another user could replace ergod's files there. "
            "Set XDG_RUNTIME_DIR to your own runtime directory (your login session "
            "normally does) or have that directory fixed"
        )
    return existing


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents, 0700) if missing; refuse one another user could use.

    Runtime files (lock, socket) must not sit in a directory others can write
    to or that someone else owns, or another user could impersonate the daemon.
    Raises UnsafeDirectory (a PermissionError) with what is wrong and what to do.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the user's temp directory is already private
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path
    uid = getuid()
    existing = _check_chain(path, uid)
    created = []
    for part in reversed([path, *path.parents]):
        if existing is not None and (part == existing or part in existing.parents):
            continue
        with contextlib.suppress(FileExistsError):  # made meanwhile: judged below
            os.mkdir(part, 0o700)
        created.append(part)
    for part in created:
        _refuse_unless_private(part, uid)
    _refuse_unless_private(path, uid)
    return path


def check_private_dir(path: Path) -> bool:
    """Whether `path` exists; UnsafeDirectory if it does and is not this user's alone.

    For a client about to trust what is inside (the control socket, the lock
    file): the same rules as `ensure_private_dir`, creating nothing.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return path.is_dir()
    uid = getuid()
    if _check_chain(path, uid) != path:
        return False
    _refuse_unless_private(path, uid)
    return True
