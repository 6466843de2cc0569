"""The world ergod runs in: directories and environment, injected, never global.

`Environment` is what the composition root hands every part that needs a path
or an environment variable (the httpie idea): modules take an Environment
instead of reading `os.environ`, so a test builds one over a temporary tree.

Where things live:
* `system_dir`: `$ERGOD_SYSTEM_DIR`, else `/etc/ergod` (system defaults in
  `config.toml` and `config.d/*.toml`, locked policy in `policy.d/*.toml`).
* `config_home`: `$XDG_CONFIG_HOME`, else `~/.config`; the user's file is
  `<config_home>/ergod/config.toml`.
* `state_home`: `$XDG_STATE_HOME`, else `~/.local/state`; ergod's data lives in
  `<state_home>/ergod/`.
* `runtime_dir`: `$XDG_RUNTIME_DIR`, else `<$TMPDIR or /tmp>/ergod-<uid>`, a
  private fallback. ergod's sockets and lock file live in `<runtime_dir>/ergod/`.

As the XDG base directory spec asks, a variable that is empty or holds a
relative path is ignored. Building an Environment reads only; it creates
nothing. `ensure_private_dir` is for the daemon, when it needs the runtime
directory to exist.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Environment:
    """Directories ergod reads and writes, and the environment it was given."""

    system_dir: Path
    config_home: Path
    state_home: Path
    runtime_dir: Path
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_os(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The environment of this process, or of `environ` when given."""
        env = dict(os.environ if environ is None else environ)
        home = _absolute(env, "HOME") or Path(os.path.expanduser("~"))
        tmp = _absolute(env, "TMPDIR") or Path("/tmp")
        return cls(
            system_dir=_absolute(env, "ERGOD_SYSTEM_DIR") or DEFAULT_SYSTEM_DIR,
            config_home=_absolute(env, "XDG_CONFIG_HOME") or home / ".config",
            state_home=_absolute(env, "XDG_STATE_HOME") or home / ".local" / "state",
            runtime_dir=_absolute(env, "XDG_RUNTIME_DIR") or tmp / f"ergod-{_user_tag(env)}",
            home=home,
            environ=env,
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


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; refuse one another user could use.

    Runtime files (lock, socket) must not sit in a directory others can write
    to or that someone else owns, or another user could impersonate the daemon.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the user's temp directory is already private
        return path
    info = path.stat()
    if info.st_uid != getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise PermissionError(f"{path} is not a private directory of this user")
    return path
