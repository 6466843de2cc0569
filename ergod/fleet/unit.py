"""The texts that start ergod at login: the systemd user unit and the XDG autostart entry.

Contract:
* `render_unit(executable)` is the one source of the unit's text;
  systemd/ergod.service in the repository is it rendered for /usr/bin/ergod
  (a test holds them equal). `render_autostart(executable)` is the shipped
  ergod/data/ergod.desktop with its `Exec=` pointing at `executable`.
* Both refuse (`ServiceError`) a path with a line break or another control
  character: these files are read line by line, and such a path would add
  lines of its own choosing (an `ExecStartPre=`, say).
* `check_global_executable(executable)` refuses to point every user's login at
  a program another user could change.
"""

from __future__ import annotations

import os
from pathlib import Path

from ergod.environment import untrusted_reason
from ergod.errors import ErgodError
from ergod.files import package_data

DESKTOP_NAME = "ergod.desktop"

_UNIT = """\
# ergod's systemd user unit. `ergod service install` writes it with the path of
# the ergod it was run from; see docs/deployment.md.
[Unit]
Description=ergod: break reminders from your real sitting time
# Started and stopped with the graphical session: it needs the display and
# the session bus, which the desktop imports into the user manager.
PartOf=graphical-session.target
After=graphical-session.target

[Service]
# READY=1 once config, activity source and scheduler are up; WATCHDOG=1 from
# the scheduler's thread, so a stuck scheduler gets the daemon restarted.
Type=notify
NotifyAccess=main
ExecStart={exec_start} run
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10s
WatchdogSec=2min
TimeoutStopSec=15s
# Hardening that works in user units without user namespaces. Nothing here
# hides /run/user (the session bus, the X socket, ergod's control socket) or
# the home directory (config, the adherence store).
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
# Unix sockets for D-Bus and X; IP only for an X display on another host.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
UMask=0077

[Install]
WantedBy=graphical-session.target
"""


class ServiceError(ErgodError):
    """Installing or removing the login start failed; the message says what to do."""


def _unit_quote(path: Path) -> str:
    """`path` as systemd reads one word of ExecStart: `%` and `$` doubled, quoted if spaced."""
    text = str(path).replace("%", "%%").replace("$", "$$")
    if any(c in text for c in " \t\"'\\"):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _desktop_quote(path: Path) -> str:
    """`path` as one argument of a desktop entry's Exec (quoted when it needs to be)."""
    text = str(path)
    if any(c in text for c in " \t\n\"'\\><~|&;$*?#()`"):
        escaped = "".join(f"\\{c}" if c in '"`$\\' else c for c in text)
        text = f'"{escaped}"'
    return text.replace("%", "%%")


def _one_line(executable: Path) -> Path:
    """`executable`, refused if it holds a line break or another control character.

    A unit or desktop file is read line by line: a newline in the path would
    add lines of the path's choosing (an `ExecStartPre=`, say) to the file.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in str(executable)):
        raise ServiceError(
            f"the path of ergod, {str(executable)!r}, holds a line break or control "
            "character, which would add lines to the unit file; install ergod at a plain path"
        )
    return executable


def check_global_executable(executable: Path) -> None:
    """Refuse (ServiceError) to point every user's login at a file others can change.

    The executable, the interpreter its `#!` line names, and every directory
    above either (links followed) must belong to root or to the user
    installing, and be writable by nobody else.
    """
    getuid = getattr(os, "geteuid", None)
    if getuid is None:
        return
    owners = frozenset({0, getuid()})
    for path in (executable, *_interpreter(executable)):
        try:
            reason = untrusted_reason(path, owners)
        except OSError as exc:
            reason = f"cannot check {path}: {exc.strerror or exc}"
        if reason is not None:
            raise ServiceError(
                f"not installing for every user: {reason}, so another user could change "
                f"what everyone runs at login ({executable}); install ergod as root "
                "into a root-owned place (docs/deployment.md)"
            )


def _interpreter(executable: Path) -> tuple[Path, ...]:
    try:
        with open(executable, "rb") as script:
            first = script.readline(4096)
    except OSError:
        return ()
    if not first.startswith(b"#!"):
        return ()
    words = first[2:].decode("utf-8", "replace").split()
    return (Path(words[0]),) if words and os.path.isabs(words[0]) else ()


def render_unit(executable: Path) -> str:
    """The user unit running `executable run`."""
    return _UNIT.format(exec_start=_unit_quote(_one_line(executable)))


def render_autostart(executable: Path) -> str:
    """The XDG autostart entry running `executable run`."""
    _one_line(executable)
    shipped = package_data(DESKTOP_NAME).read_text("utf-8")
    lines = [
        f"Exec={_desktop_quote(executable)} run" if line.startswith("Exec=") else line
        for line in shipped.splitlines()
    ]
    return "\n".join(lines) + "\n"
