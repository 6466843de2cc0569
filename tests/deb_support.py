"""Helpers for the Debian package tests (no tests here): build the .deb, and a throwaway root.

`build_deb(outdir)` runs `scripts/build-deb --output OUTDIR` (what an
administrator runs, with the output kept out of the checkout) and returns the
.deb and the script's log.

`throwaway_root(base)` is this machine as it is, to install the package into
without touching the machine: a private mount namespace (`unshare --mount`,
propagation private) holds an overlay whose lower layer is `/` and whose upper
layer is a tmpfs, with the host's /proc, /sys, /dev and /tmp bound in (so the
tests' X server, session bus and temporary files are the same paths inside),
and the repository hidden under an empty tmpfs: a machine without the repo.
Commands run there through `nsenter` and `chroot`, as root, with a clean
environment (Debian's PATH, no venv, no PYTHONPATH). Whatever they write
(dpkg's database, /usr/bin/ergod, /etc) lands in the tmpfs and is gone when
the namespace ends; the host, and the pip-installed ergod the other tests
run, never see the package.

Why not install into the test machine: the tests share the machine (and, in
development, other checkouts' tests run beside them); a real install would
change what `ergod doctor` finds in /etc/xdg/autostart and /etc/systemd/user
for them until it is purged. Why not `dpkg --root` or an extracted tree: the
first needs a whole Debian system under the root, the second skips apt's
dependency resolution and the maintainer scripts (the preset, tmpfiles),
which are what is being tested. The overlay needs root and mount namespaces;
CI runs as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from servers import in_ci, stop_process
from test_service_support import REPO

# Debian's own PATH: nothing from a venv or pyenv.
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
_SETUP = r"""
set -eu
base="$1" hide="$2"
mkdir -p "$base/layer" "$base/root"
mount -t tmpfs -o mode=0755 ergod-layer "$base/layer"
mkdir "$base/layer/upper" "$base/layer/work"
mount -t overlay ergod-root \
    -o "lowerdir=/,upperdir=$base/layer/upper,workdir=$base/layer/work" "$base/root"
for dir in proc sys dev tmp; do mount --rbind "/$dir" "$base/root/$dir"; done
mount -t tmpfs -o mode=0755 ergod-no-repo "$base/root$hide"
echo ready
exec sleep infinity
"""


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true, where everything must run."""
    if in_ci():
        pytest.fail(f"{reason}; CI=true so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


def build_deb(outdir: Path) -> tuple[Path, str]:
    """`scripts/build-deb --output OUTDIR`: the .deb it printed last, and its log (stderr)."""
    for tool in ("dpkg-buildpackage", "lintian", "git"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (see scripts/apt-packages.txt)")
    done = subprocess.run(
        [str(REPO / "scripts" / "build-deb"), "--output", str(outdir)],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"scripts/build-deb failed:\n{done.stderr[-6000:]}"
    deb = Path(done.stdout.strip().splitlines()[-1])
    assert deb.is_file() and deb.parent == outdir.resolve(), done.stdout
    return deb, done.stderr


class Root:
    """A running throwaway root; `run` and `popen` execute inside it."""

    def __init__(self, holder: subprocess.Popen[str], base: Path) -> None:
        self._holder = holder
        self.dir = base / "root"

    def path(self, inside: str) -> Path:
        """A file inside the root, as this process can read it (/proc/PID/root)."""
        return (
            Path(f"/proc/{self._holder.pid}/root") / str(self.dir).lstrip("/") / inside.lstrip("/")
        )

    def argv(
        self, command: Sequence[str], *, cwd: str = "/", env: Mapping[str, str] | None = None
    ) -> list[str]:
        """The host command line that runs `command` in the root, in `cwd`."""
        environ = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
        return [
            "nsenter",
            f"--target={self._holder.pid}",
            "--mount",
            "--",
            "chroot",
            str(self.dir),
            "/usr/bin/env",
            "-i",
            *(f"{k}={v}" for k, v in environ.items()),
            "/bin/sh",
            "-c",
            'cd "$1" && shift && exec "$@"',
            "sh",
            cwd,
            *command,
        ]

    def run(
        self,
        *command: str,
        cwd: str = "/",
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(command, cwd=cwd, env=env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def shell(
        self,
        line: str,
        *,
        cwd: str = "/",
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """One line of shell, as an administrator would type it."""
        return self.run("/bin/bash", "-c", line, cwd=cwd, env=env, timeout=timeout)

    def popen(self, *command: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        """A long-running command; nsenter, chroot, env and sh exec it: its pid is the Popen's."""
        return subprocess.Popen(
            self.argv(command, env=env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )


@contextlib.contextmanager
def throwaway_root(base: Path) -> Iterator[Root]:
    """This machine's root as an overlay in a private mount namespace (see the module doc)."""
    if os.geteuid() != 0:
        unavailable("a throwaway root (mount namespace and overlay) needs root")
    for tool in ("unshare", "nsenter", "chroot"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (util-linux, coreutils)")
    holder = subprocess.Popen(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "bash",
            "-c",
            _SETUP,
            "setup",
            str(base),
            str(REPO),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "ready":
            holder.wait(timeout=30)
            unavailable(f"cannot make a throwaway root here: {holder.stderr.read().strip()}")  # type: ignore[union-attr]
        yield Root(holder, base)
    finally:
        stop_process(holder)
