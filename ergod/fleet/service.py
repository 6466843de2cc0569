"""Starting ergod at login: the systemd user unit, the XDG autostart file, installing them.

Contract:
* The files' texts come from ergod.fleet.unit (`render_unit`,
  `render_autostart`); `render(route, executable)` picks one.
* `plan(action, target, ...)` reads only (files, and `systemctl is-enabled`
  / `is-active`) and returns the `Step`s that would bring the machine to the
  asked state; `apply(steps, runner)` carries them out. A file that already
  has the wanted content is not rewritten and a unit that is already enabled
  (and active) is not enabled again, so a second `install` has no steps.
* Targets: `user` (this user's systemd manager: `~/.config/systemd/user/`,
  `systemctl --user enable --now`), `global` (every user's, root:
  `/etc/systemd/user/`, `systemctl --global enable`; each user's manager
  starts it at their next login), and the same two scopes for XDG autostart
  (`~/.config/autostart/`, `/etc/xdg/autostart/`) for sessions without a
  systemd user manager. `root` prefixes the global paths (tests, images).
* `installed()` reports, for the global systemd target, the unit a
  distribution package ships in /usr/lib/systemd/user/ (`PACKAGED_UNIT`)
  when /etc/systemd/user/ holds none.
* `--global` is refused for an executable another user could change
  (`check_global_executable`). Files are written with `ergod.files`.
* Both routes may be active at once (the desktop file says `X-systemd-skip`,
  and a second daemon exits at the single-instance lock), so they never run
  two daemons.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ergod.environment import Environment
from ergod.files import write_atomically
from ergod.fleet.unit import (
    DESKTOP_NAME,
    ServiceError,
    check_global_executable,
    render_autostart,
    render_unit,
)

__all__ = [  # the texts' names, re-exported: callers need one module
    "DESKTOP_NAME",
    "ServiceError",
    "render_autostart",
    "render_unit",
]

UNIT_NAME = "ergod.service"
PACKAGED_EXECUTABLE = Path("/usr/bin/ergod")
# Where the Debian package (debian/) puts the user unit, below `root`.
PACKAGED_UNIT = Path("usr/lib/systemd/user") / UNIT_NAME
_SYSTEMCTL_TIMEOUT_SECONDS = 30.0


class Scope(str, Enum):
    USER = "user"
    GLOBAL = "global"


class Route(str, Enum):
    SYSTEMD = "systemd"
    AUTOSTART = "autostart"


class Action(str, Enum):
    INSTALL = "install"
    UNINSTALL = "uninstall"


@dataclass(frozen=True)
class Target:
    """Where ergod is to start from: one scope, one route."""

    scope: Scope
    route: Route
    root: Path = Path("/")

    def path(self, env: Environment) -> Path:
        """The unit or desktop file this target installs."""
        if self.scope is Scope.USER:
            base = env.config_home / (
                "systemd/user" if self.route is Route.SYSTEMD else "autostart"
            )
        else:
            system = "etc/systemd/user" if self.route is Route.SYSTEMD else "etc/xdg/autostart"
            base = self.root / system
        return base / (UNIT_NAME if self.route is Route.SYSTEMD else DESKTOP_NAME)

    def systemctl(self, *args: str) -> tuple[str, ...]:
        """A systemctl command line for this target's manager."""
        if self.scope is Scope.USER:
            return ("systemctl", "--user", *args)
        rooted = () if self.root == Path("/") else (f"--root={self.root}",)
        return ("systemctl", *rooted, "--global", *args)


@dataclass(frozen=True)
class WriteFile:
    path: Path
    text: str

    def describe(self) -> str:
        return f"write {self.path}"


@dataclass(frozen=True)
class RemoveFile:
    path: Path

    def describe(self) -> str:
        return f"remove {self.path}"


@dataclass(frozen=True)
class RunCommand:
    argv: tuple[str, ...]
    # Uninstalling goes on when a manager refuses to disable what it never had.
    may_fail: bool = False

    def describe(self) -> str:
        return "run " + " ".join(self.argv)


Step = WriteFile | RemoveFile | RunCommand
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a command, its output captured; a missing program is exit code 127."""
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=_SYSTEMCTL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: not installed")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(argv), 124, "", f"{argv[0]}: timed out")


def ergod_executable() -> Path:
    """The `ergod` command of this installation (its venv's, else the one on PATH)."""
    # Not resolved: a venv's python is a symlink to the base interpreter.
    beside = Path(sys.executable).parent / "ergod"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("ergod")
    if found is None:
        raise ServiceError(
            "cannot find the ergod command next to this Python or on PATH; "
            "install ergod (pip or pipx) so that `ergod` is a command"
        )
    return Path(found).absolute()


def render(route: Route, executable: Path) -> str:
    return render_unit(executable) if route is Route.SYSTEMD else render_autostart(executable)


def _answer(runner: Runner, argv: Sequence[str]) -> str | None:
    """systemctl's one-word answer (`enabled`, `active`...), None if it could not say."""
    done = runner(argv)
    words = done.stdout.split()
    # is-enabled / is-active print their answer even when exiting non-zero.
    return words[0] if words and done.returncode in (0, 1, 3, 4) else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ServiceError(f"cannot read {path}: {exc.strerror}") from None


def plan(
    action: Action,
    target: Target,
    env: Environment,
    executable: Path,
    runner: Runner = run_command,
) -> list[Step]:
    """The steps still needed for `action` on `target` (empty: nothing to change)."""
    path = target.path(env)
    current = _read(path)
    systemd = target.route is Route.SYSTEMD
    steps: list[Step] = []
    if action is Action.INSTALL:
        if target.scope is Scope.GLOBAL:
            check_global_executable(executable)
        wanted = render(target.route, executable)
        if current != wanted:
            steps.append(WriteFile(path, wanted))
        if not systemd:
            return steps
        if target.scope is Scope.USER:
            if steps:
                steps.append(RunCommand(target.systemctl("daemon-reload")))
            enabled = _answer(runner, target.systemctl("is-enabled", UNIT_NAME))
            active = _answer(runner, target.systemctl("is-active", UNIT_NAME))
            if enabled != "enabled" or active != "active":
                steps.append(RunCommand(target.systemctl("enable", "--now", UNIT_NAME)))
            elif steps:  # a changed unit: the running daemon has the old command
                steps.append(RunCommand(target.systemctl("restart", UNIT_NAME)))
        else:
            enabled = _answer(runner, target.systemctl("is-enabled", UNIT_NAME))
            if steps or enabled != "enabled":
                steps.append(RunCommand(target.systemctl("enable", UNIT_NAME)))
        return steps
    if current is None:
        return steps
    if systemd:
        disable = ("disable", "--now") if target.scope is Scope.USER else ("disable",)
        steps.append(RunCommand(target.systemctl(*disable, UNIT_NAME), may_fail=True))
    steps.append(RemoveFile(path))
    if systemd and target.scope is Scope.USER:
        steps.append(RunCommand(target.systemctl("daemon-reload"), may_fail=True))
    return steps


def _advice(target: Target) -> str:
    if target.scope is Scope.USER:
        return (
            "is a systemd user manager running for you (a desktop login, not su/sudo)? "
            "Without one, start ergod with `ergod service install --autostart`"
        )
    return "run it as root; see docs/deployment.md"


def apply(steps: Sequence[Step], target: Target, runner: Runner = run_command) -> list[str]:
    """Carry out `steps` in order; the lines done. ServiceError at the first failure."""
    done: list[str] = []
    for step in steps:
        if isinstance(step, WriteFile):
            try:
                step.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(step.path, step.text, mode=0o644)
            except OSError as exc:
                raise ServiceError(
                    f"cannot write {step.path}: {exc.strerror}; {_advice(target)}"
                ) from None
        elif isinstance(step, RemoveFile):
            try:
                step.path.unlink(missing_ok=True)
            except OSError as exc:
                raise ServiceError(f"cannot remove {step.path}: {exc.strerror}") from None
        else:
            result = runner(step.argv)
            if result.returncode != 0 and not step.may_fail:
                why = (result.stderr.strip() or result.stdout.strip()).splitlines()
                raise ServiceError(
                    f"`{' '.join(step.argv)}` failed"
                    + (f" ({why[-1]})" if why else f" (exit {result.returncode})")
                    + f"; {_advice(target)}"
                    + (f". Already done: {'; '.join(done)}" if done else "")
                )
        done.append(step.describe())
    return done


@dataclass(frozen=True)
class Installed:
    """One target as found on this machine, for `ergod service status` and the doctor."""

    target: Target
    path: Path
    present: bool
    current: bool  # the file is what `install` would write now
    enabled: str | None  # systemctl's answer; None: not asked or no answer
    active: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.target.scope.value,
            "route": self.target.route.value,
            "path": str(self.path),
            "present": self.present,
            "current": self.current,
            "enabled": self.enabled,
            "active": self.active,
        }


def installed(
    env: Environment,
    executable: Path | None,
    root: Path = Path("/"),
    runner: Runner = run_command,
) -> list[Installed]:
    """Every target's state; systemctl is asked about the user's manager only."""
    found = []
    for scope in Scope:
        for route in Route:
            target = Target(scope, route, root)
            path = target.path(env)
            text = _read(path)
            if text is None and scope is Scope.GLOBAL and route is Route.SYSTEMD:
                # A package's unit, which /etc/systemd/user/ would override.
                path = root / PACKAGED_UNIT
                text = _read(path)
            try:
                wanted = None if executable is None else render(route, executable)
            except ServiceError:
                wanted = None  # an unusable path: what is installed is not "current"
            enabled = active = None
            if route is Route.SYSTEMD and shutil.which("systemctl"):
                enabled = _answer(runner, target.systemctl("is-enabled", UNIT_NAME))
                if scope is Scope.USER:
                    active = _answer(runner, target.systemctl("is-active", UNIT_NAME))
            found.append(Installed(target, path, text is not None, text == wanted, enabled, active))
    return found
