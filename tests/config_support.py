"""A throwaway ergod world for configuration tests: a tree of layer files on disk."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

from ergod.environment import Environment


@dataclass
class World:
    """Directories of one test: system dir, user config, state and runtime."""

    root: Path
    env: Environment

    @classmethod
    def make(cls, root: Path) -> World:
        environ = {
            "HOME": str(root / "home"),
            "ERGOD_SYSTEM_DIR": str(root / "etc"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_RUNTIME_DIR": str(root / "run"),
            "PATH": os.environ.get("PATH", ""),
        }
        return cls(root, Environment.from_os(environ))

    def write(self, relative: str, text: str) -> Path:
        """Write `text` (dedented) to a file below the root; its path."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    @property
    def user_file(self) -> Path:
        return self.env.user_config_file

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        """Every file and directory below the root, with content and mtime."""
        found: dict[str, tuple[bytes, int]] = {}
        for path in sorted(self.root.rglob("*")):
            data = path.read_bytes() if path.is_file() else b"<dir>"
            found[str(path)] = (data, path.stat().st_mtime_ns)
        return found
